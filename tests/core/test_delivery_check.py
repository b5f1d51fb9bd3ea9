"""Before the card is asked for: nothing deliverable → told at once, staff called, out of service
afterwards; no terminal → only the free documents; the real checker joins the printer's and the
seal's own checks with the terminal's last state."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from pathlib import Path

import pytest

from hardware.errors import BorneError
from kiosk import health
from kiosk.adapters.delivery import DeliveryChecker
from kiosk.flows.delivery import KEY_NOTHING_DELIVERABLE, KEY_PAYMENT_UNAVAILABLE
from kiosk.journey import JourneyController
from kiosk.ports import Deliverable
from kiosk.session import SessionState as S
from tests.core.fakes import Ids, Rig, make_settings


class FixedDelivery:
    def __init__(self, found: Deliverable) -> None:
        self.found = found
        self.asked = 0

    def check(self) -> Future[Deliverable]:
        self.asked += 1
        done: Future[Deliverable] = Future()
        done.set_result(self.found)
        return done


def now(controller: JourneyController) -> S:
    return controller.state


def _with_delivery(rig: Rig, delivery: FixedDelivery) -> JourneyController:
    controller = JourneyController(
        ports=dataclasses.replace(rig.fakes.ports, delivery=delivery),
        settings=make_settings(),
        post=rig.poster,
        clock=rig.clock,
        ids=Ids(),
    )
    rig.controller = controller
    rig.fakes.card.watch(controller.card_event)
    return controller


def test_nothing_deliverable_is_told_before_the_card_and_the_kiosk_goes_out_of_service(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    delivery = FixedDelivery(
        Deliverable(
            documents=False,
            payment=True,
            reason="printer_unavailable",
            key="printing.state.stopped",
        )
    )
    c = _with_delivery(rig, delivery)
    c.touch()
    c.choose_language("fr")
    assert now(c) is S.INSERT_CARD
    rig.pump()
    assert delivery.asked == 1
    assert now(c) is S.ERROR
    assert c.view.error_key == KEY_NOTHING_DELIVERABLE
    assert [a.reason for a in c.alerts] == ["printer_unavailable"]
    assert rig.fakes.card.received_pins == []
    c.cancel()
    assert now(c) is S.OUT_OF_SERVICE
    assert c.view.alert_keys == ("printing.state.stopped",)
    assert rig.fakes.payment.charged == {}


def test_without_a_terminal_only_the_free_documents_can_be_chosen(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    c = _with_delivery(rig, FixedDelivery(Deliverable(documents=True, payment=False)))
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert now(c) is S.CHOOSE_DOCUMENTS
    greyed = {o.document_type: o.reason_key for o in view.offered if not o.available}
    assert greyed == {"household": KEY_PAYMENT_UNAVAILABLE, "residence": KEY_PAYMENT_UNAVAILABLE}
    c.toggle_document("household")
    c.toggle_document("life")
    assert c.view.selected == ("life",)
    c.confirm_documents()
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.TAKE_DOCUMENTS
    assert rig.fakes.printer.printed == ["life"]
    assert rig.fakes.payment.charged == {}
    assert not c.alerts


def test_the_next_resident_is_checked_afresh(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    delivery = FixedDelivery(Deliverable(documents=True, payment=False))
    c = _with_delivery(rig, delivery)
    rig.to_pin()
    c.cancel()
    rig.fakes.card.remove()
    rig.pump()
    delivery.found = Deliverable(documents=True, payment=True)
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert all(o.available for o in view.offered)
    assert delivery.asked == 2


@pytest.mark.parametrize(
    ("printer_state", "seal_error", "terminal", "expected"),
    [
        ("ready", None, "reachable", Deliverable(documents=True, payment=True)),
        ("ready", None, "unreachable", Deliverable(documents=True, payment=False)),
        (
            "paper_out",
            None,
            "reachable",
            Deliverable(
                documents=False,
                payment=True,
                reason="printer_unavailable",
                key="printing.state.paper_out",
            ),
        ),
        (
            "ready",
            BorneError("no token", translation_key="documents.error.seal_token"),
            "reachable",
            Deliverable(
                documents=False,
                payment=True,
                reason="signer_unavailable",
                key="documents.error.seal_token",
            ),
        ),
    ],
)
def test_the_checker_joins_printer_seal_and_terminal(
    tmp_path: Path,
    printer_state: str,
    seal_error: BorneError | None,
    terminal: str,
    expected: Deliverable,
) -> None:
    rig = Rig(tmp_path)
    rig.fakes.printer.state = printer_state
    rig.fakes.issuer.check_error = seal_error
    board = health.HealthBoard()
    board.set(health.PAYMENT_TERMINAL, terminal)
    checker = DeliveryChecker(printer=rig.fakes.printer, issuer=rig.fakes.issuer, board=board)
    assert checker.check().result(timeout=5) == expected

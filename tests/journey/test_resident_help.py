"""The journey a person expects, on the real stack (pcscd + vpcd + the virtual eID of an EU
citizen, the ZVT simulator, SoftHSM2, cupsd, the central over HTTPS):

* Help pressed on the PIN screen reaches the central as an open `help_requested` alert naming the
  screen and the reason, while the kiosk stays in service and the resident goes on;
* the EU citizen is offered the Belgian nationality certificate greyed, with its reason, and it
  can be neither chosen nor paid: the terminal charges only what is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cups
import pytest
import requests

from devstack.sim import SimStack
from kiosk.flows.purpose import PURPOSE
from kiosk.session import SessionState as S
from offline_queue.wire import IssuanceRecord
from tests.journey.conftest import Rig
from tests.journey.test_real_stack import central_records, charges, pinned_ca

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]


@pytest.fixture(scope="module")
def stack(var_dir: Path) -> Iterator[SimStack]:
    with SimStack(var_dir=var_dir, persona="chiara") as s:  # Italian: an EU citizen
        yield s


def _to_pin(rig: Rig) -> None:
    c = rig.controller
    c.touch()
    rig.state(S.LANGUAGE)
    c.choose_language("fr")
    rig.state(S.INSERT_CARD)
    rig.stack.insert_card()
    rig.state(S.PIN)


def _enter_pin(rig: Rig) -> None:
    for digit in rig.stack.pin:
        rig.controller.pin_digit(digit)
    rig.controller.pin_submit()
    rig.state(S.CHOOSE_DOCUMENTS)


def _active_alerts(rig: Rig, kind: str) -> list[dict[str, object]]:
    response = requests.get(
        f"{rig.kiosk.config.central.url}/api/v1/alerts",
        params={"kiosk_id": rig.kiosk.config.kiosk_id, "kind": kind, "active": "true"},
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
        verify=pinned_ca(rig.kiosk),
    )
    response.raise_for_status()
    alerts: list[dict[str, object]] = response.json()["alerts"]
    return alerts


def test_help_on_the_pin_screen_reaches_the_central_and_the_journey_goes_on(rig: Rig) -> None:
    assert _active_alerts(rig, "help_requested") == []
    _to_pin(rig)
    rig.controller.request_help("card_stuck")
    view = rig.controller.view
    assert view.help_called
    assert view.state is S.PIN
    assert not rig.controller.alerts  # not a staff alert: the kiosk stays in service
    # the call left with the heartbeat Help sent at once; this one runs after it on the same thread
    beat = rig.kiosk.sync.send_heartbeat().result(timeout=15)
    assert beat.mode == "in_service"
    (alert,) = _active_alerts(rig, "help_requested")
    assert alert["state"] == "open"
    assert str(alert["detail"]).startswith("screen=pin reason=card_stuck")
    assert alert["title_key"] == "fleet.alert.help_requested.title"
    assert rig.kiosk.fleet is not None
    assert rig.kiosk.fleet.calls.pending == 0  # delivered: the next heartbeats carry nothing
    _enter_pin(rig)
    assert rig.controller.view.help_called
    rig.controller.cancel()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)


def test_an_eu_citizen_sees_the_nationality_certificate_greyed_and_pays_only_what_prints(
    rig: Rig,
) -> None:
    charged_before = len(charges(rig))
    _to_pin(rig)
    _enter_pin(rig)
    offered = {o.document_type: o for o in rig.controller.view.offered}
    assert not offered["nationality"].available
    assert offered["nationality"].reason_key == "documents.unavailable.not_belgian"
    assert offered["household"].available
    rig.controller.toggle_document("nationality")
    assert rig.controller.view.selected == ()
    rig.controller.toggle_document("household")
    rig.controller.confirm_documents()
    rig.state(PURPOSE)
    rig.controller.choose_purpose("not_stated")
    rig.state(S.SUMMARY)
    assert rig.controller.view.total_cents == 250
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS, timeout=60)
    assert rig.controller.view.issued == ("household",)
    # as at a cash machine: the card comes back first, then the documents
    assert rig.controller.view.prompt_key == "take_documents.take_card_first"
    rig.stack.remove_card()
    view = rig.pump.until(rig.controller, lambda v: not v.card_present)
    assert (view.state, view.prompt_key) == (S.TAKE_DOCUMENTS, "take_documents.prompt")
    rig.controller.documents_taken()
    rig.state(S.ATTRACT)
    new = charges(rig)[charged_before:]
    assert [r.amount_cents for r in new] == [250]
    records: list[IssuanceRecord] = central_records(rig)
    last = [r for r in records if r.outcome == "completed"][-1]
    assert last.documents == ("household",)
    assert last.payment_status == "approved"


def test_a_stopped_printer_is_told_before_the_card_is_asked_for(rig: Rig) -> None:
    stack = rig.stack
    assert stack.cupsd is not None
    charged_before = len(charges(rig))
    connection = cups.Connection(host=stack.cupsd.server)
    connection.disablePrinter(stack.cupsd.printer_name)
    try:
        rig.controller.touch()
        rig.state(S.LANGUAGE)
        rig.controller.choose_language("nl")
        view = rig.state(S.ERROR)
    finally:
        connection.enablePrinter(stack.cupsd.printer_name)
    assert view.error_key == "error.nothing_deliverable"
    assert not view.card_present  # no card, no PIN asked
    assert [a.reason for a in rig.controller.alerts] == ["printer_unavailable"]
    rig.controller.cancel()
    view = rig.state(S.OUT_OF_SERVICE)
    assert view.alert_keys == ("printing.state.stopped",)
    assert view.commune_languages == ("fr", "nl", "de")
    assert len(charges(rig)) == charged_before
    rig.controller.staff_acknowledge()
    rig.state(S.ATTRACT)

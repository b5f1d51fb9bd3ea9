"""The order, identification, service and time-out flows on the port fakes, without the controller.

A small host stands in for the controller: it holds one session and the session machine, and
records the alerts raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.flows.host import Host
from kiosk.flows.identify import KEY_PIN_WRONG, IdentifyFlow
from kiosk.flows.order import KEY_CLAIM_COUNTER, KEY_CLAIM_REFUNDED, OrderFlow
from kiosk.flows.service import REASON_READER_UNAVAILABLE, ServiceFlow
from kiosk.flows.staff import StaffFlow
from kiosk.flows.steps import Steps
from kiosk.flows.storage import StorageWatch
from kiosk.flows.timeouts import Inactivity, Verdict
from kiosk.ports import DeviceCheck, PaymentStatus, StaffAlert
from kiosk.session import SessionData, SessionMachine, SessionState
from tests.core.fakes import FakePorts, Ids, ManualClock, QueuePoster, make_ports, make_settings

S = SessionState


class _Controller:
    """What the flows see of a controller: one session, the machine, the alerts."""

    def __init__(self, *, state: SessionState) -> None:
        self.session = SessionData(
            operation_id="op-order-1", started_at=0.0, language="nl", document_language="fr"
        )
        self.machine = SessionMachine(initial=state)
        self.alerts: list[StaffAlert] = []
        self.polled: list[DeviceCheck] = []

    def go(self, target: SessionState, *, reason: str) -> None:
        self.machine.go(target, reason=reason)

    def error(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        self.session.show_error(key, outcome=outcome, retry=retry, params=params)
        self.machine.go(S.ERROR, reason=outcome)

    def host(self) -> Host:
        return Host(
            session=lambda: self.session,
            state=lambda: self.machine.state,
            go=self.go,
            error=self.error,
            refresh=lambda: None,
            raise_alert=self.alerts.append,
        )


class _Rig:
    def __init__(self, tmp_path: Path, *, state: SessionState = S.SUMMARY) -> None:
        self.fakes: FakePorts = make_ports(threaded=False, directory=tmp_path)
        self.poster = QueuePoster()
        self.clock = ManualClock()
        self.ctl = _Controller(state=state)
        self.steps = Steps(post=self.poster, clock=self.clock, fail=self._unexpected)
        self.settings = make_settings()
        self.order = OrderFlow(
            ports=self.fakes.ports,
            steps=self.steps,
            post=self.poster,
            host=self.ctl.host(),
            storage=StorageWatch(port=None, post=self.poster, clock=self.clock),
            storage_polled=self.ctl.polled.append,
            catalogue=lambda: self.settings.catalogue,
            kiosk_id=lambda: self.settings.kiosk_id,
            ids=Ids(),
        )

    @staticmethod
    def _unexpected(err: BaseException) -> None:
        raise AssertionError(f"no default failure expected here: {err!r}")

    def identified(self) -> None:
        """The session as IdentifyFlow leaves it: holder and extract loaded."""
        identify = IdentifyFlow(
            ports=self.fakes.ports, steps=self.steps, post=self.poster, host=self.ctl.host()
        )
        self.fakes.card.insert()
        self.ctl.machine = SessionMachine(initial=S.INSERT_CARD)
        identify.start_reading()
        self.poster.pump()
        self.ctl.machine.go(S.VERIFYING, reason="pin_submitted")
        identify.verify(bytearray(b"1234"))
        self.poster.pump()
        assert self.ctl.machine.state is S.CHOOSE_DOCUMENTS
        self.ctl.machine.go(S.SUMMARY, reason="documents_chosen")


def test_a_paid_order_is_issued_printed_completed_and_recorded(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household", "life"]
    rig.order.confirm_summary()
    rig.poster.pump()
    s = rig.ctl.session
    assert rig.ctl.machine.state is S.TAKE_DOCUMENTS
    assert rig.fakes.payment.charged == {"op-order-1": 250}
    assert rig.fakes.printer.printed == ["household", "life"]
    assert [r.outcome for r in rig.fakes.outbox.issued] == ["issued", "issued"]
    (record,) = rig.fakes.outbox.records
    assert (record.outcome, record.amount_cents, record.payment_status) == (
        "completed",
        250,
        "approved",
    )
    assert record.documents == ("household", "life")
    assert record.extra["document_language"] == "fr"
    assert s.holder is None
    assert s.extract is None
    assert s.receipt_printed is True
    assert [i.document_type for i in rig.fakes.printer.receipts[0].items] == ["household", "life"]


def test_a_free_order_skips_the_payment(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["life"]
    rig.order.confirm_summary()
    rig.poster.pump()
    assert rig.ctl.machine.state is S.TAKE_DOCUMENTS
    assert rig.fakes.payment.charged == {}
    assert rig.fakes.printer.receipts == []  # no payment, no receipt
    assert rig.fakes.outbox.records[0].payment_status == "none"


def test_a_printer_that_cannot_print_takes_no_money(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household"]
    rig.fakes.printer.state = "offline"
    rig.order.confirm_summary()
    rig.poster.pump()
    assert rig.ctl.machine.state is S.ERROR
    assert rig.ctl.session.error_key == "error.printer_unavailable"
    assert rig.fakes.payment.charged == {}
    assert [a.reason for a in rig.ctl.alerts] == ["printer_unavailable"]
    assert rig.fakes.outbox.records[0].outcome == "printer_unavailable"


def test_a_failed_print_reverses_the_payment_with_a_claim_code(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household"]
    rig.fakes.printer.complete = False
    rig.order.confirm_summary()
    rig.poster.pump()
    s = rig.ctl.session
    assert rig.ctl.machine.state is S.ERROR
    assert s.error_key == KEY_CLAIM_REFUNDED
    assert s.claim_code is not None
    assert s.error_params == {"claim": s.claim_code}
    assert rig.fakes.payment.reversed == ["op-order-1"]
    assert rig.fakes.outbox.records[-1].outcome == "reversed"
    assert rig.ctl.alerts == []  # a reversal that went through needs no staff


def test_a_refused_reversal_prints_a_claim_slip_and_calls_staff(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household"]
    rig.fakes.printer.complete = False
    rig.fakes.payment.reverse_ok = False
    rig.order.confirm_summary()
    rig.poster.pump()
    s = rig.ctl.session
    assert s.error_key == KEY_CLAIM_COUNTER
    assert [(a.reason, a.reference) for a in rig.ctl.alerts] == [("reversal_failed", "op-order-1")]
    ((slip, language),) = rig.fakes.printer.slips
    assert (slip.claim_code, language) == (s.claim_code, "nl")  # the resident's language
    assert rig.fakes.outbox.records[-1].outcome == "reversal_failed"


def test_an_abandoned_approval_is_reversed_and_recorded(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household"]
    rig.fakes.payment.hold = True
    rig.order.confirm_summary()
    rig.poster.pump()
    assert _state(rig) is S.PAYMENT
    rig.order.abandon_payment()
    rig.steps.new_epoch()  # the controller closes the session
    during = rig.order.reconciling
    assert rig.fakes.payment.cancels == 1
    rig.fakes.payment.release()
    rig.poster.pump()
    assert (during, rig.order.reconciling) == (True, False)
    assert rig.fakes.payment.reversed == ["op-order-1"]
    (record,) = rig.fakes.outbox.records
    assert (record.outcome, record.amount_cents) == ("abandoned_reversed", 250)


def test_an_unknown_payment_outcome_goes_to_the_counter(tmp_path: Path) -> None:
    rig = _Rig(tmp_path)
    rig.identified()
    rig.ctl.session.selected = ["household"]
    rig.fakes.payment.status = PaymentStatus.UNKNOWN
    rig.order.confirm_summary()
    rig.poster.pump()
    assert rig.ctl.session.error_key == KEY_CLAIM_COUNTER
    assert [a.reason for a in rig.ctl.alerts] == ["payment_unknown"]
    assert rig.fakes.printer.printed == []
    assert len(rig.fakes.printer.slips) == 1


def test_a_wrong_pin_goes_back_to_the_pin_with_a_notice(tmp_path: Path) -> None:
    rig = _Rig(tmp_path, state=S.INSERT_CARD)
    identify = IdentifyFlow(
        ports=rig.fakes.ports, steps=rig.steps, post=rig.poster, host=rig.ctl.host()
    )
    rig.fakes.card.insert()
    identify.start_reading()
    rig.poster.pump()
    assert rig.ctl.machine.state is S.PIN
    rig.ctl.machine.go(S.VERIFYING, reason="pin_submitted")
    identify.verify(bytearray(b"9999"))
    rig.poster.pump()
    assert rig.ctl.machine.state is S.PIN
    assert rig.ctl.session.notice_key == KEY_PIN_WRONG
    assert rig.fakes.register.asked == []  # no register data without the right PIN


def test_the_reader_alert_settles_by_itself_but_others_wait_for_staff(tmp_path: Path) -> None:
    rig = _Rig(tmp_path, state=S.ATTRACT)
    staff = StaffFlow(ports=rig.fakes.ports, steps=rig.steps, kiosk_id="kiosk-test", ids=Ids())

    def raise_alert(alert: StaffAlert) -> None:  # as the controller does
        rig.ctl.alerts.append(alert)
        service.raise_alert(alert)

    host = replace(rig.ctl.host(), raise_alert=raise_alert)
    service = ServiceFlow(
        ports=rig.fakes.ports, steps=rig.steps, post=rig.poster, host=host, staff=staff
    )
    service.reader_unavailable()
    service.reader_unavailable()  # still gone: one alert only
    assert [a.reason for a in rig.ctl.alerts] == [REASON_READER_UNAVAILABLE]
    assert _state(rig) is S.OUT_OF_SERVICE
    service.reader_restored()
    assert _state(rig) is S.ATTRACT
    service.reader_unavailable()
    service.raise_alert(StaffAlert(reason="printer_unavailable", key="error.printer_unavailable"))
    service.reader_restored()
    assert _state(rig) is S.OUT_OF_SERVICE
    assert [a.reason for a in staff.alerts] == ["printer_unavailable"]


def _state(rig: _Rig) -> SessionState:
    return rig.ctl.machine.state


@pytest.mark.parametrize(
    ("idle_s", "verdict", "warning"),
    [(10.0, Verdict.QUIET, None), (45.0, Verdict.CHANGED, 15), (60.0, Verdict.TIMED_OUT, None)],
)
def test_inactivity_counts_down_then_times_out(
    idle_s: float, verdict: Verdict, warning: int | None
) -> None:
    clock = ManualClock()
    inactivity = Inactivity(clock=clock)
    clock.now += idle_s
    limits = {S.PIN: 60.0}
    assert inactivity.check(S.PIN, limits=limits, warn_within_s=20.0) is verdict
    assert inactivity.warning_s == warning
    assert inactivity.check(S.ATTRACT, limits=limits, warn_within_s=20.0) is Verdict.QUIET


def test_a_card_left_in_the_reader_raises_its_alert_once() -> None:
    clock = ManualClock()
    inactivity = Inactivity(clock=clock)
    clock.now += 31.0
    limits = {S.REMOVE_CARD: 30.0}
    assert inactivity.check(S.REMOVE_CARD, limits=limits, warn_within_s=20.0) is Verdict.CHANGED
    assert inactivity.card_left
    assert inactivity.check(S.REMOVE_CARD, limits=limits, warn_within_s=20.0) is Verdict.QUIET
    inactivity.entering(S.ATTRACT)
    assert not inactivity.card_left

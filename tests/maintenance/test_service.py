"""The maintenance mode's services on the ports: login, roles, idle close, every action audited,
diagnostics, counters, the queue, refunds by hand, end of day and service state."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hardware.eid.errors import CardVerificationError, NoCard
from kiosk import health
from kiosk.maintenance.diagnostics import FAILED, OK, WARNING
from kiosk.maintenance.session import IDLE_S, MaintenanceRefused, MaintenanceSession
from kiosk.maintenance.staff_card import CardLoginResult
from kiosk.ports import StaffAlert
from kiosk.session import SessionState as S
from kiosk.staff_auth import LoginResult, hash_code
from offline_queue import wire
from offline_queue.managed_config import StaffRole
from printing.errors import TokenError
from tests.core.fakes import NATIONAL_NUMBER
from tests.maintenance.fakes import CODE, Maintenance


def state(m: Maintenance) -> S:
    return m.rig.controller.state


def open_session(m: Maintenance) -> MaintenanceSession | None:
    return m.service.session


@pytest.fixture
def m(tmp_path: Path) -> Maintenance:
    return Maintenance(tmp_path)


def code_login(m: Maintenance) -> None:
    """A fresh one-time code from the fleet console each time (a code serves once)."""
    code = f"{secrets.randbelow(10**8):08d}"
    m.codes.install_code(hash_code(code), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
    m.service.hold()
    m.pump()
    assert m.service.login_code(code) is LoginResult.ACCEPTED
    m.pump()


def card_login(m: Maintenance, pin: str = "1234") -> CardLoginResult:
    m.service.hold()
    m.pump()
    future = m.service.login_card(bytearray(pin.encode()))
    login = future.result(timeout=5)
    m.service.card_login_done(login)
    m.pump()
    return login.result


def test_a_code_opens_a_technician_session_and_holds_the_journey(m: Maintenance) -> None:
    assert state(m) is S.ATTRACT
    code_login(m)
    session = m.service.session
    assert session is not None
    assert session.identity.role is StaffRole.TECHNICIAN
    assert state(m) is S.OUT_OF_SERVICE  # no resident starts behind the screen
    m.service.close()
    m.pump()
    assert open_session(m) is None
    assert state(m) is S.ATTRACT
    assert m.audit.actions() == ["login", "close"]
    assert m.audit.events[0].role == "technician"
    assert m.audit.events[0].detail == {"method": "code"}


def test_wrong_codes_are_audited_and_rate_limited(m: Maintenance) -> None:
    m.service.hold()
    results = [m.service.login_code("000000") for _ in range(3)]
    assert results == [LoginResult.REFUSED] * 3
    assert m.service.login_code(CODE) is LoginResult.LOCKED
    assert open_session(m) is None
    assert m.audit.actions() == ["login_refused"] * 4
    assert [e.detail["result"] for e in m.audit.events] == ["refused"] * 3 + ["locked"]
    m.service.release()
    m.pump()
    assert state(m) is S.ATTRACT


def test_a_staff_card_opens_a_clerk_session_under_a_pseudonym(m: Maintenance) -> None:
    assert card_login(m) is CardLoginResult.ACCEPTED
    session = m.service.session
    assert session is not None
    assert session.identity.role is StaffRole.CLERK
    assert session.identity.actor.startswith("staff-")
    assert NATIONAL_NUMBER not in repr(m.audit.events)
    card = m.rig.fakes.card
    assert card.proved == m.rig.fakes.register.nonces[-1:]  # the card signed the central's nonce
    assert card.end_sessions == 1  # the card's session is closed after the login


def test_a_card_not_on_the_allow_list_is_refused_before_any_pin(tmp_path: Path) -> None:
    m = Maintenance(tmp_path, allow={})
    assert card_login(m) is CardLoginResult.NOT_STAFF
    assert m.rig.fakes.card.received_pins == []  # a resident's PIN tries are untouched
    assert open_session(m) is None
    assert m.audit.events[-1].action == "login_refused"
    assert m.audit.events[-1].detail == {"method": "eid", "result": "not_staff"}


def test_wrong_pins_then_a_lock_out(m: Maintenance) -> None:
    assert card_login(m, "9999") is CardLoginResult.WRONG_PIN
    m.rig.fakes.card.tries = 3
    assert card_login(m, "9999") is CardLoginResult.WRONG_PIN
    m.rig.fakes.card.tries = 3
    assert card_login(m, "9999") is CardLoginResult.WRONG_PIN
    assert card_login(m) is CardLoginResult.LOCKED  # even the right PIN waits
    m.clock.now += 31
    assert card_login(m) is CardLoginResult.ACCEPTED


def test_a_refused_proof_refuses_the_login(m: Maintenance) -> None:
    from offline_queue.errors import CitizenProofRefused  # noqa: PLC0415

    m.rig.fakes.register.proof_error = CitizenProofRefused(
        "refused", status=403, code="register.proof_refused"
    )
    assert card_login(m) is CardLoginResult.PROOF_REFUSED
    assert open_session(m) is None


def test_a_staff_card_proves_itself_without_a_register_lookup(m: Maintenance) -> None:
    assert card_login(m) is CardLoginResult.ACCEPTED
    register = m.rig.fakes.register
    assert register.staff_proved == [NATIONAL_NUMBER]
    assert register.asked == []  # the staff member's own entry is not looked up


def test_a_central_out_of_reach_is_told_apart_from_a_refused_proof(m: Maintenance) -> None:
    from offline_queue.errors import CentralUnavailable  # noqa: PLC0415

    m.rig.fakes.register.proof_error = CentralUnavailable("down")
    assert card_login(m) is CardLoginResult.CENTRAL_UNAVAILABLE
    assert open_session(m) is None


def test_exit_to_the_system_is_for_technicians_only(m: Maintenance) -> None:
    card_login(m)
    with pytest.raises(MaintenanceRefused):
        m.service.exit_system()
    assert m.exits == 0
    assert m.audit.events[-1].action == "exit_to_system"
    assert m.audit.events[-1].detail == {"refused": "role"}
    m.service.close()
    code_login(m)
    m.service.exit_system()
    assert m.exits == 1


def test_the_mode_closes_itself_after_five_idle_minutes(m: Maintenance) -> None:
    closed: list[str] = []
    m.service.on_closed.append(closed.append)
    code_login(m)
    m.clock.now += IDLE_S - 1
    m.service.tick()
    m.service.counters()  # an action keeps it alive
    m.clock.now += IDLE_S - 1
    m.service.tick()
    assert open_session(m) is not None
    m.clock.now += 2
    m.service.tick()
    m.pump()
    assert closed == ["closed_idle"]
    assert open_session(m) is None
    assert state(m) is S.ATTRACT
    with pytest.raises(MaintenanceRefused):
        m.service.counters()


def test_diagnostics_cover_every_device(m: Maintenance) -> None:
    code_login(m)
    m.board.set(health.CARD_READER, "ready")
    m.board.set(health.PAYMENT_TERMINAL, "ready")
    soon = datetime.now(tz=UTC) + timedelta(days=12, hours=1)
    m.board.set_detail(health.SEAL_TOKEN, certificate_not_after=soon)
    received = datetime.now(tz=UTC) - timedelta(seconds=90)  # this kiosk runs 90 s ahead
    m.clock_watch.observe(wire.HeartbeatAck(received_at=received, next_poll_seconds=60))
    findings = {f.device: f for f in m.service.diagnose().result(timeout=5)}
    assert set(findings) == {"card_reader", "payment_terminal", "printer", "seal", "central"}
    assert findings["card_reader"].verdict == OK
    assert findings["printer"].verdict == OK
    assert findings["printer"].params["pages_left"] == "100"
    assert findings["seal"].verdict == WARNING  # expires within 30 days
    assert findings["seal"].params["days"] == "12"
    assert findings["central"].verdict == WARNING
    assert float(findings["central"].params["skew"]) == pytest.approx(90, abs=5)
    m.printer.ready = False
    m.central.reachable = False
    m.rig.fakes.issuer.check_error = TokenError("no token")
    findings = {f.device: f for f in m.service.diagnose().result(timeout=5)}
    assert findings["printer"].verdict == FAILED
    assert findings["seal"].verdict == FAILED
    assert findings["central"].verdict == FAILED
    assert findings["central"].key == "maintenance.diag.central_down"


def test_card_test_and_test_page(m: Maintenance) -> None:
    code_login(m)
    assert m.service.test_card().result(timeout=5) == 3
    outcome = m.service.test_page().result(timeout=5)
    assert outcome.completed
    assert m.printer.pages[0][0] == "kiosk kiosk-test"
    assert m.audit.actions()[-2:] == ["card_test", "test_page"]


def test_counters_and_the_paper_refill(m: Maintenance) -> None:
    code_login(m)
    m.paper.record(30)
    counters = m.service.counters()
    assert (counters.documents, counters.payments_approved, counters.revenue_cents) == (4, 2, 500)
    assert (counters.pages_since_refill, counters.pages_left) == (30, 70)
    refilled = m.service.paper_refilled()
    assert (refilled.pages_since_refill, refilled.pages_left, refilled.pages_total) == (0, 100, 30)
    assert "paper_refilled" in m.audit.actions()


def test_the_queue_and_sync_now(m: Maintenance) -> None:
    code_login(m)
    backlog = m.service.queue().result(timeout=5)
    assert (backlog.pending, backlog.failed) == (2, 1)
    assert m.service.sync_now().result(timeout=5) == 3
    assert m.service.retry_failed().result(timeout=5) == 1
    assert m.audit.actions()[-3:] == ["queue", "sync_now", "retry_failed"]


def test_a_clerk_reads_the_redacted_logs_and_sends_them(m: Maintenance) -> None:
    assert card_login(m) is CardLoginResult.ACCEPTED  # a clerk, not only a technician
    lines = m.service.logs().result(timeout=5).lines
    assert [line.event for line in lines] == ["zvt bad frame", "journey_report"]
    assert m.service.send_logs().result(timeout=5).upload_id == 7
    assert m.logs.sent == 1
    assert m.audit.actions()[-2:] == ["logs", "send_logs"]


def test_payments_to_refund_by_hand_show_their_slip(m: Maintenance) -> None:
    code_login(m)
    assert m.service.reviews().result(timeout=5) == ()
    m.rig.fakes.payment.charged["op-1"] = 500
    m.terminal.reviews = ("op-1",)
    (slip,) = m.service.reviews().result(timeout=5)
    assert (slip.reference, slip.amount_cents, slip.receipt_number) == ("op-1", 500, "R0001")


def test_end_of_day_reconciles_against_the_day(m: Maintenance) -> None:
    code_login(m)
    m.rig.fakes.payment.charged.update({"a": 250, "b": 250})
    closure = m.service.end_of_day().result(timeout=5)
    assert closure.reconciled
    assert (closure.terminal_total_cents, closure.kiosk_revenue_cents) == (500, 500)
    assert "last_end_of_day" in m.board.details()[health.PAYMENT_TERMINAL]
    m.rig.fakes.payment.charged["c"] = 250  # charged, but no document counted
    closure = m.service.end_of_day().result(timeout=5)
    assert not closure.reconciled
    assert closure.difference_cents == 250


def test_out_of_service_stays_after_closing_then_back_in_service(m: Maintenance) -> None:
    code_login(m)
    m.service.out_of_service()
    m.pump()
    assert not m.service.leaves_in_service
    m.service.close()
    m.pump()
    assert state(m) is S.OUT_OF_SERVICE
    assert [a.reason for a in m.rig.controller.alerts] == ["staff_out_of_service"]
    code_login(m)
    m.service.back_in_service()
    m.service.close()
    m.pump()
    assert state(m) is S.ATTRACT
    assert m.rig.controller.alerts == ()


def test_an_alert_pending_at_login_keeps_the_kiosk_out_unless_staff_say_otherwise(
    m: Maintenance,
) -> None:
    m.rig.controller.raise_alert(StaffAlert(reason="manual_review", key="k", reference="op-9"))
    m.pump()
    code_login(m)
    assert not m.service.leaves_in_service
    m.service.close()
    m.pump()
    assert state(m) is S.OUT_OF_SERVICE
    code_login(m)
    m.service.back_in_service()
    m.service.close()
    m.pump()
    assert state(m) is S.ATTRACT
    assert m.rig.fakes.payment.acknowledged == ["op-9"]


def test_restart_is_the_fleet_restart(m: Maintenance) -> None:
    code_login(m)
    m.service.restart()
    assert m.restarts == 1
    assert m.audit.actions()[-1] == "restart"


def test_nothing_without_a_session(m: Maintenance) -> None:
    for action in (
        m.service.counters,
        m.service.diagnose,
        m.service.out_of_service,
        m.service.logs,
        m.service.send_logs,
    ):
        with pytest.raises(MaintenanceRefused):
            action()
    assert m.audit.events == []


def test_a_card_failing_its_own_checks_is_refused_not_missing(m: Maintenance) -> None:
    m.rig.fakes.card.read_error = CardVerificationError(
        "the chip failed its challenge", check="chip_authentication"
    )
    assert card_login(m) is CardLoginResult.PROOF_REFUSED
    assert m.rig.fakes.card.received_pins == []
    m.rig.fakes.card.read_error = NoCard("no card")
    assert card_login(m) is CardLoginResult.NO_CARD


def test_a_staff_card_left_in_the_reader_keeps_residents_out_until_removed(
    m: Maintenance,
) -> None:
    m.service.hold()
    m.pump()
    m.rig.fakes.card.insert()  # the staff member's own card
    m.pump()
    assert card_login(m) is CardLoginResult.ACCEPTED
    m.service.back_in_service()
    m.service.close()
    m.pump()
    assert state(m) is S.OUT_OF_SERVICE  # no resident session on the staff card
    m.rig.fakes.card.remove()
    m.pump()
    assert state(m) is S.ATTRACT

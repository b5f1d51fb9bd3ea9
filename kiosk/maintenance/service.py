"""The maintenance mode's services: staff login, then diagnostics, counters, the offline queue,
manual reviews, end of day, service state, restart and (technician only) exit to the system.

Used from the UI thread only. Device work goes through the kiosk's own adapters (the same the
fleet commands use) and comes back as futures. Every staff action, refused logins included, goes
through `StaffAuditSink.record` with the pseudonymous actor. While a session is open the journey
is held out of service (alert `maintenance`); on closing, the kiosk goes back to what staff chose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TypeVar

from hardware.payment.model import EndOfDay
from kiosk import health
from kiosk.claim_slip import ClaimSlip
from kiosk.maintenance.audit import CODE_ACTOR, NO_ROLE, UNKNOWN_ACTOR, StaffAuditSink
from kiosk.maintenance.clock import ClockWatch
from kiosk.maintenance.diagnostics import Finding, diagnose, settle
from kiosk.maintenance.logs import RecentLogs
from kiosk.maintenance.parts import (
    Backlog,
    CardTester,
    CentralTools,
    DayCounterSource,
    Journey,
    LogTools,
    PrinterTools,
    SignerCheck,
    TerminalTools,
)
from kiosk.maintenance.session import (
    IDLE_S,
    Action,
    LoginMethod,
    MaintenanceRefused,
    MaintenanceSession,
    StaffIdentity,
    allowed,
)
from kiosk.maintenance.staff_card import CardLogin, CardLoginResult, StaffCardLogin
from kiosk.ports import PrintOutcome, StaffAlert
from kiosk.session import SessionState
from kiosk.staff_auth import LoginResult, StaffAuthenticator
from kiosk.view import JourneyView
from offline_queue.managed_config import StaffRole
from printing.paper import PaperEstimate, PaperTracker

if TYPE_CHECKING:
    from offline_queue import wire

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

KEY_ALERT_MAINTENANCE: Final = "out_of_service.reason.maintenance"
KEY_ALERT_STAFF_OUT: Final = "out_of_service.reason.staff"
MAINTENANCE_ALERT: Final = StaffAlert(reason="maintenance", key=KEY_ALERT_MAINTENANCE)
STAFF_OUT_ALERT: Final = StaffAlert(reason="staff_out_of_service", key=KEY_ALERT_STAFF_OUT)
_NOTHING_GIVEN_YET: Final = frozenset({SessionState.LANGUAGE, SessionState.INSERT_CARD})


@dataclass(frozen=True, slots=True, kw_only=True)
class Counters:
    day: str
    sessions: int
    documents: int
    payments_approved: int
    payments_reversed: int
    revenue_cents: int
    pages_since_refill: int | None
    pages_total: int | None
    pages_left: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayClosure:
    """The terminal's end of day against what the kiosk issued and was paid today."""

    approved: bool
    result_code: int
    terminal_total_cents: int | None
    terminal_count: int
    kiosk_revenue_cents: int
    kiosk_payments: int
    documents: int

    @property
    def difference_cents(self) -> int | None:
        if self.terminal_total_cents is None:
            return None
        return self.terminal_total_cents - self.kiosk_revenue_cents

    @property
    def reconciled(self) -> bool:
        return self.approved and self.difference_cents == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceParts:
    card: CardTester
    payment: TerminalTools
    printer: PrinterTools
    signer: SignerCheck
    central: CentralTools
    board: health.HealthBoard
    counters: DayCounterSource
    paper: PaperTracker | None
    clock_watch: ClockWatch
    kiosk_id: str
    restart: Callable[[], None]
    """Ends the application with `EXIT_RESTART` (the fleet's restart)."""
    logs: LogTools
    """The kiosk's own log lines, redacted: read on screen, sent to the central."""


class MaintenanceService:
    """The staff door's back: one open session at a time."""

    def __init__(
        self,
        *,
        parts: MaintenanceParts,
        journey: Journey,
        audit: StaffAuditSink,
        codes: StaffAuthenticator,
        cards: StaffCardLogin | None,
        clock: Callable[[], float],
        idle_s: float = IDLE_S,
        now: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
    ) -> None:
        self._parts = parts
        self._journey = journey
        self._audit = audit
        self._codes = codes
        self._cards = cards
        self._clock = clock
        self._idle_s = idle_s
        self._now = now
        self._session: MaintenanceSession | None = None
        self._holding = False
        self._leave_in_service = False
        self.on_closed: list[Callable[[str], None]] = []
        """Called with the reason (`close`, `closed_idle`) when the session ends."""
        self.exit_to_system: Callable[[], None] | None = None
        """Set by the UI: leave the kiosk screen for the system."""
        self._card_out_awaited = False
        journey.on_change(self._view_changed)

    # -- login ------------------------------------------------------------------------------
    @property
    def session(self) -> MaintenanceSession | None:
        return self._session

    @property
    def card_login_available(self) -> bool:
        return self._cards is not None

    def hold(self) -> None:
        """The staff login opened: no resident starts a session behind it."""
        if not self._holding:
            self._holding = True
            self._journey.remote_service(out=True, alert=MAINTENANCE_ALERT)
            if self._journey.state in _NOTHING_GIVEN_YET:
                # the gesture's own first touch left the attract screen: end that at once
                self._journey.cancel()

    def release(self) -> None:
        """The login was left without a session: the kiosk goes back to what it was."""
        if self._session is None:
            self._unhold()

    def _unhold(self) -> None:
        if self._holding:
            self._holding = False
            self._journey.remote_service(out=False, alert=MAINTENANCE_ALERT)

    def login_code(self, code: str) -> LoginResult:
        """The one-time maintenance code from the fleet console: a technician."""
        result = self._codes.login(code)
        if result is LoginResult.ACCEPTED:
            self._open(
                StaffIdentity(actor=CODE_ACTOR, role=StaffRole.TECHNICIAN, method=LoginMethod.CODE)
            )
        else:
            self._audit.record(
                actor=UNKNOWN_ACTOR,
                role=NO_ROLE,
                action=Action.LOGIN_REFUSED.value,
                detail={"method": LoginMethod.CODE.value, "result": result.value},
            )
        return result

    def login_card(self, pin: bytearray) -> Future[CardLogin]:
        """Staff's own eID in the reader and its PIN; the future resolves on a device thread:
        call `card_login_done` with it on the UI thread."""
        if self._cards is None:
            for index in range(len(pin)):
                pin[index] = 0
            done: Future[CardLogin] = Future()
            done.set_result(CardLogin(result=CardLoginResult.NO_CARD))
            return done
        return self._cards.login(pin)

    def card_login_done(self, login: CardLogin) -> None:
        if login.result is CardLoginResult.ACCEPTED and login.identity is not None:
            self._open(login.identity)
            return
        self._audit.record(
            actor=UNKNOWN_ACTOR,
            role=NO_ROLE,
            action=Action.LOGIN_REFUSED.value,
            detail={"method": LoginMethod.EID.value, "result": login.result.value},
        )

    def _open(self, identity: StaffIdentity) -> None:
        self.hold()
        self._leave_in_service = not any(
            a.reason not in (MAINTENANCE_ALERT.reason,) for a in self._journey.alerts
        )
        self._session = MaintenanceSession(identity, clock=self._clock, idle_s=self._idle_s)
        self._record(Action.LOGIN, {"method": identity.method.value})

    # -- session ------------------------------------------------------------------------------
    def _record(self, action: Action, detail: Mapping[str, str] | None = None) -> None:
        session = self._session
        if session is None:  # pragma: no cover - guarded by _act
            return
        self._audit.record(
            actor=session.identity.actor,
            role=session.identity.role.value,
            action=action.value,
            detail=dict(detail or {}),
        )

    def _act(self, action: Action, detail: Mapping[str, str] | None = None) -> None:
        """Check the session may do `action`, keep it alive, audit it."""
        session = self._session
        if session is None or session.expired:
            if session is not None:
                self._end(Action.CLOSED_IDLE)
            raise MaintenanceRefused("no maintenance session is open")
        if not allowed(session.identity.role, action):
            self._record(Action(action), {"refused": "role"})
            raise MaintenanceRefused(f"{action.value} needs the technician role")
        session.touch()
        self._record(action, detail)

    def touch(self) -> None:
        """Staff touched the maintenance screen."""
        if self._session is not None and not self._session.expired:
            self._session.touch()

    def tick(self) -> None:
        """Each second (UI timer): close a session idle for too long."""
        if self._session is not None and self._session.expired:
            self._end(Action.CLOSED_IDLE)

    def close(self) -> None:
        if self._session is not None:
            self._end(Action.CLOSE)

    def _end(self, action: Action) -> None:
        self._record(action, {"in_service": "yes" if self._leave_in_service else "no"})
        self._session = None
        if self._journey.view.card_present:
            # a staff card still in the reader: no resident session may start on it
            self._card_out_awaited = True
            log.info("maintenance_waits_for_card_removal")
        else:
            self._leave()
        for listener in list(self.on_closed):
            listener(action.value)

    def _leave(self) -> None:
        self._unhold()
        if self._leave_in_service:
            self._journey.remote_service(out=False, alert=STAFF_OUT_ALERT)
            if self._journey.state is SessionState.OUT_OF_SERVICE:
                self._journey.staff_acknowledge()

    def _view_changed(self, view: JourneyView) -> None:
        if self._card_out_awaited and not view.card_present and self._session is None:
            self._card_out_awaited = False
            self._leave()

    # -- diagnostics --------------------------------------------------------------------------
    def diagnose(self) -> Future[tuple[Finding, ...]]:
        """Every device at once: reader, terminal, printer and paper, seal, central and clock."""
        self._act(Action.DIAGNOSE)
        return diagnose(self._parts, now=self._now)

    def test_card(self) -> Future[int | None]:
        """The card in the reader answers (its PIN tries, read without a PIN)."""
        self._act(Action.CARD_TEST)
        return self._parts.card.pin_tries_left()

    def test_page(self) -> Future[PrintOutcome]:
        """The fleet's test page, through the printer adapter (a job in cupsd)."""
        self._act(Action.TEST_PAGE)
        lines = (
            f"kiosk {self._parts.kiosk_id}",
            datetime.now().astimezone().isoformat(timespec="seconds"),
            "maintenance",
        )
        return self._parts.printer.print_test_page(lines=lines)

    # -- counters -------------------------------------------------------------------------------
    def counters(self) -> Counters:
        self._act(Action.COUNTERS)
        return self._counters()

    def _counters(self) -> Counters:
        day = self._parts.counters.counters()
        paper: PaperEstimate | None = (
            self._parts.paper.estimate() if self._parts.paper is not None else None
        )
        return Counters(
            day=day.day.isoformat(),
            sessions=day.sessions,
            documents=day.documents,
            payments_approved=day.payments_approved,
            payments_reversed=day.payments_reversed,
            revenue_cents=day.revenue_cents,
            pages_since_refill=None if paper is None else paper.pages_since_refill,
            pages_total=None if paper is None else paper.pages_printed_total,
            pages_left=None if paper is None else paper.remaining,
        )

    def paper_refilled(self) -> Counters:
        """Staff put a full ream in: the paper counter starts again."""
        self._act(Action.PAPER_REFILLED)
        if self._parts.paper is not None:
            self._parts.paper.refill()
        return self._counters()

    # -- offline queue ----------------------------------------------------------------------------
    def queue(self) -> Future[Backlog]:
        self._act(Action.QUEUE)
        return self._parts.central.backlog()

    def sync_now(self) -> Future[int]:
        self._act(Action.SYNC_NOW)
        return self._parts.central.deliver_now()

    def retry_failed(self) -> Future[int]:
        """Rows the central refused for good are queued again (after the cause was fixed)."""
        self._act(Action.RETRY_FAILED)
        return self._parts.central.retry_failed()

    # -- logs ---------------------------------------------------------------------------------------
    def logs(self) -> Future[RecentLogs]:
        """The newest log lines, redacted as they would leave the kiosk."""
        self._act(Action.LOGS)
        return self._parts.logs.recent()

    def send_logs(self) -> Future[wire.LogUploadAck]:
        """The newest redacted lines to the central, where the fleet's operators read them."""
        self._act(Action.SEND_LOGS)
        return self._parts.logs.send()

    # -- payments -----------------------------------------------------------------------------------
    def reviews(self) -> Future[tuple[ClaimSlip, ...]]:
        """Payments waiting for a refund by hand, each with its claim slip's facts."""
        self._act(Action.REVIEWS)
        payment = self._parts.payment
        out: Future[tuple[ClaimSlip, ...]] = Future()

        def listed(f: Future[tuple[str, ...]]) -> None:
            err = f.exception()
            if err is not None:
                out.set_exception(err)
                return
            references = f.result()
            slips: list[ClaimSlip | None] = [None] * len(references)
            if not references:
                out.set_result(())
                return
            left = [len(references)]

            def one(index: int) -> Callable[[Future[ClaimSlip]], None]:
                def got(s: Future[ClaimSlip]) -> None:
                    if s.exception() is None:
                        slips[index] = s.result()
                    left[0] -= 1
                    if left[0] == 0:
                        out.set_result(tuple(x for x in slips if x is not None))

                return got

            for index, reference in enumerate(references):
                payment.claim_slip(reference=reference).add_done_callback(one(index))

        payment.pending_reviews().add_done_callback(listed)
        return out

    def end_of_day(self) -> Future[DayClosure]:
        """The terminal closes its day; the total is set against today's paid documents."""
        self._act(Action.END_OF_DAY)
        board = self._parts.board
        counters = self._parts.counters

        def reconcile(closed: EndOfDay) -> DayClosure:
            if closed.approved:
                board.set_detail(health.PAYMENT_TERMINAL, last_end_of_day=self._now())
            day = counters.counters()
            closure = DayClosure(
                approved=closed.approved,
                result_code=closed.result_code,
                terminal_total_cents=closed.total_cents,
                terminal_count=closed.count,
                kiosk_revenue_cents=day.revenue_cents,
                kiosk_payments=day.payments_approved - day.payments_reversed,
                documents=day.documents,
            )
            log.info(
                "maintenance_end_of_day",
                extra={
                    "approved": closure.approved,
                    "terminal_total_cents": closure.terminal_total_cents,
                    "kiosk_revenue_cents": closure.kiosk_revenue_cents,
                    "reconciled": closure.reconciled,
                },
            )
            return closure

        return settle(self._parts.payment.end_of_day(), reconcile)

    # -- service ------------------------------------------------------------------------------------
    @property
    def leaves_in_service(self) -> bool:
        """What the kiosk does when the session ends: serve residents (True) or stay out."""
        return self._leave_in_service

    def out_of_service(self) -> None:
        self._act(Action.OUT_OF_SERVICE)
        self._leave_in_service = False
        self._journey.remote_service(out=True, alert=STAFF_OUT_ALERT)

    def back_in_service(self) -> None:
        """On closing, the alerts are acknowledged and the kiosk serves residents again."""
        self._act(Action.BACK_IN_SERVICE)
        self._leave_in_service = True

    def restart(self) -> None:
        self._act(Action.RESTART)
        self._parts.restart()

    def exit_system(self) -> None:
        self._act(Action.EXIT_TO_SYSTEM)
        self._session = None
        if self.exit_to_system is not None:
            self.exit_to_system()

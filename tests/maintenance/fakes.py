"""Fakes of the maintenance mode's parts around the core test fakes (tests/core/fakes.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from kiosk import health
from kiosk.maintenance.audit import Pseudonyms
from kiosk.maintenance.clock import ClockWatch
from kiosk.maintenance.logs import LogLine, RecentLogs
from kiosk.maintenance.parts import Backlog, Journey
from kiosk.maintenance.service import MaintenanceParts, MaintenanceService
from kiosk.maintenance.session import IDLE_S, AttemptLimiter
from kiosk.maintenance.staff_card import StaffCardLogin
from kiosk.ports import DeviceCheck, PrintOutcome
from kiosk.staff_auth import StaffAuthenticator, hash_code
from offline_queue import wire
from offline_queue.managed_config import StaffRole
from printing.paper import PaperTracker
from tests.core.fakes import NATIONAL_NUMBER, FakePorts, ManualClock, Rig

T = TypeVar("T")
CODE = "602418"


def done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


@dataclass
class AuditEvent:
    actor: str
    role: str
    action: str
    detail: dict[str, str]


class ListAudit:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        self.events.append(AuditEvent(actor=actor, role=role, action=action, detail=dict(detail)))

    def actions(self) -> list[str]:
        return [e.action for e in self.events]


class Terminal:
    """The payment adapter's maintenance surface over the core fake payment."""

    def __init__(self, fakes: FakePorts) -> None:
        self.fakes = fakes
        self.reviews: tuple[str, ...] = ()
        self.closed_approved = True

    def pending_reviews(self) -> Future[tuple[str, ...]]:
        return done(self.reviews)

    def claim_slip(self, *, reference: str):  # type: ignore[no-untyped-def]
        return self.fakes.payment.claim_slip(reference=reference)

    def end_of_day(self):  # type: ignore[no-untyped-def]
        return self.fakes.payment.end_of_day()


class Printer:
    def __init__(self) -> None:
        self.ready = True
        self.pages: list[tuple[str, ...]] = []

    def check(self) -> Future[DeviceCheck]:
        return done(DeviceCheck(ready=self.ready, state="idle" if self.ready else "stopped"))

    def print_test_page(self, *, lines: Sequence[str]) -> Future[PrintOutcome]:
        self.pages.append(tuple(lines))
        return done(PrintOutcome(job_id=len(self.pages), completed=True))


class Central:
    def __init__(self) -> None:
        self.reachable = True
        self.last_heartbeat: wire.Heartbeat | None = None
        self.backlog_value = Backlog(pending=2, oldest=None, failed=1)
        self.delivered = 0

    def send_heartbeat(self) -> Future[wire.Heartbeat]:
        message = wire.Heartbeat(
            kiosk_id="kiosk-test", version="1", sent_at=datetime.now(tz=UTC), outbox_backlog=2
        )
        if self.reachable:
            self.last_heartbeat = message
        return done(message)

    def deliver_now(self) -> Future[int]:
        self.delivered += 1
        return done(3)

    def backlog(self) -> Future[Backlog]:
        return done(self.backlog_value)

    def retry_failed(self) -> Future[int]:
        return done(self.backlog_value.failed)


class Logs:
    """The log desk: two redacted lines to show, and the uploads asked for."""

    def __init__(self) -> None:
        self.lines = (
            LogLine(
                at=datetime(2026, 12, 2, 9, 30, 5, tzinfo=UTC),
                level="WARNING",
                event="zvt bad frame",
                fields='reason="crc"',
            ),
            LogLine(
                at=datetime(2026, 12, 2, 9, 30, 1, tzinfo=UTC),
                level="INFO",
                event="journey_report",
                fields='outcome="completed"',
            ),
        )
        self.sent = 0

    def recent(self) -> Future[RecentLogs]:
        return done(RecentLogs(lines=self.lines))

    def send(self) -> Future[wire.LogUploadAck]:
        self.sent += 1
        return done(wire.LogUploadAck(upload_id=7, stored_chars=321))


@dataclass
class Counter:
    day: wire.DayCounters = field(
        default_factory=lambda: wire.DayCounters(
            day=date(2026, 12, 2),
            sessions=3,
            documents=4,
            revenue_cents=500,
            payments_approved=2,
            payments_reversed=0,
        )
    )

    def counters(self) -> wire.DayCounters:
        return self.day


class Maintenance:
    """A journey on the core fakes, with the maintenance service over them."""

    def __init__(self, tmp_path: Path, *, allow: dict[str, StaffRole] | None = None) -> None:
        self.rig = Rig(tmp_path)
        self.clock = ManualClock()
        self.audit = ListAudit()
        self.board = health.HealthBoard()
        self.terminal = Terminal(self.rig.fakes)
        self.printer = Printer()
        self.central = Central()
        self.counter = Counter()
        self.paper = PaperTracker(tmp_path / "paper.json", tray_capacity=100)
        self.clock_watch = ClockWatch()
        self.logs = Logs()
        self.restarts = 0
        self.exits = 0
        self.allow = {NATIONAL_NUMBER: StaffRole.CLERK} if allow is None else allow
        self.parts = MaintenanceParts(
            card=self.rig.fakes.card,
            payment=self.terminal,
            printer=self.printer,
            signer=self.rig.fakes.issuer,
            central=self.central,
            board=self.board,
            counters=self.counter,
            paper=self.paper,
            clock_watch=self.clock_watch,
            kiosk_id="kiosk-test",
            restart=self._restart,
            logs=self.logs,
        )
        self.codes = StaffAuthenticator(
            code_hash=hash_code(CODE), used_file=tmp_path / "used.json", clock=self.clock
        )
        self.cards = StaffCardLogin(
            card=self.rig.fakes.card,
            central=self.rig.fakes.register,
            role_of=self.allow.get,
            pseudonyms=Pseudonyms(tmp_path / "pseudonym.key"),
            limiter=AttemptLimiter(clock=self.clock),
        )
        self.service = self.build(self.rig.controller, clock=self.clock)
        self.service.exit_to_system = self._exit

    def build(
        self, journey: Journey, *, clock: Callable[[], float], idle_s: float = IDLE_S
    ) -> MaintenanceService:
        return MaintenanceService(
            parts=self.parts,
            journey=journey,
            audit=self.audit,
            codes=self.codes,
            cards=self.cards,
            clock=clock,
            idle_s=idle_s,
        )

    def _restart(self) -> None:
        self.restarts += 1

    def _exit(self) -> None:
        self.exits += 1

    def pump(self) -> None:
        self.rig.pump()

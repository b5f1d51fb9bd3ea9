"""The kiosk parts the maintenance mode uses: the same adapters and services as the fleet's.

Narrow Protocols over the real adapters (`kiosk.adapters.*`), the journey controller and the
fleet, so the services are tested on the ports with fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hardware.payment.model import EndOfDay
from kiosk.maintenance.logs import RecentLogs
from kiosk.ports import ClaimSlip, DeviceCheck, PrintOutcome, StaffAlert
from kiosk.session import SessionState
from kiosk.view import JourneyView

if TYPE_CHECKING:  # the wire models (pydantic) load when first used
    from offline_queue import wire


class CardTester(Protocol):
    def pin_tries_left(self) -> Future[int | None]: ...


class TerminalTools(Protocol):
    def pending_reviews(self) -> Future[tuple[str, ...]]: ...
    def claim_slip(self, *, reference: str) -> Future[ClaimSlip]: ...
    def end_of_day(self) -> Future[EndOfDay]: ...


class PrinterTools(Protocol):
    def check(self) -> Future[DeviceCheck]: ...
    def print_test_page(self, *, lines: Sequence[str]) -> Future[PrintOutcome]: ...


class SignerCheck(Protocol):
    def check(self) -> Future[None]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Backlog:
    pending: int
    oldest: datetime | None
    failed: int
    """Rows that failed for good (the central refused them); staff may queue them again."""


class CentralTools(Protocol):
    def send_heartbeat(self) -> Future[wire.Heartbeat]: ...
    def deliver_now(self) -> Future[int]: ...
    def backlog(self) -> Future[Backlog]: ...
    def retry_failed(self) -> Future[int]: ...
    @property
    def last_heartbeat(self) -> wire.Heartbeat | None: ...


class LogTools(Protocol):
    def recent(self) -> Future[RecentLogs]: ...
    def send(self) -> Future[wire.LogUploadAck]: ...


class Journey(Protocol):
    """The journey controller, as staff drive it (its own thread: the UI's)."""

    @property
    def state(self) -> SessionState: ...
    @property
    def alerts(self) -> tuple[StaffAlert, ...]: ...
    @property
    def view(self) -> JourneyView: ...
    def on_change(self, listener: Callable[[JourneyView], None]) -> None: ...
    def remote_service(self, *, out: bool, alert: StaffAlert) -> None: ...
    def staff_acknowledge(self) -> None: ...
    def cancel(self) -> None: ...


class DayCounterSource(Protocol):
    def counters(self) -> wire.DayCounters: ...

"""Fleet management wired to the kiosk's parts: the heartbeat's facts and the command handlers.

`Fleet.attach(controller)` joins the running journey: between residents it applies the
configuration and runs the commands the agent scheduled; each finished session counts in today's
counters.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from hardware.payment.model import EndOfDay
from kiosk import health
from kiosk.config import KioskConfig, validated_managed, with_managed
from kiosk.fleet.agent import FleetAgent, FleetTransport, Handler, Outcome
from kiosk.fleet.calls import StaffCallBoard
from kiosk.fleet.gate import BetweenResidents
from kiosk.fleet.logs_upload import LogSender, collect_upload
from kiosk.fleet.store import FleetStore
from kiosk.ports import PrintOutcome, StaffAlert
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator, StaffCodeFormatError
from offline_queue.managed_config import ManagedSettings, layered, settings_document
from offline_queue.wire import (
    Command,
    CommandKind,
    CommandOutcome,
    DayCounters,
    HeartbeatAck,
    LogUpload,
    UpdateChannel,
)
from printing.paper import PaperTracker

if TYPE_CHECKING:
    from kiosk.journey import JourneyController, JourneyReport, JourneySettings

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_RESTART: Final = 75
"""The kiosk's exit code asking its supervisor (systemd `RestartForceExitStatus=75`) to restart it."""

KEY_REMOTE_OUT_OF_SERVICE: Final = "out_of_service.reason.remote"
REMOTE_ALERT: Final = StaffAlert(reason="remote_out_of_service", key=KEY_REMOTE_OUT_OF_SERVICE)


def catalogue_version(prices_cents: Mapping[str, int]) -> str:
    """A short digest of the documents offered and their prices, as the heartbeat reports it."""
    canonical = json.dumps(dict(prices_cents), sort_keys=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Fleet:
    agent: FleetAgent
    gate: BetweenResidents
    store: FleetStore
    channel: UpdateChannel
    paper: PaperTracker | None
    board: health.HealthBoard
    config: KioskConfig
    journey: JourneySettings
    make_settings: Callable[[KioskConfig], JourneySettings]
    started: float = field(default_factory=time.monotonic)
    controller: JourneyController | None = None
    on_applied: list[Callable[[KioskConfig], None]] = field(default_factory=list)
    """Called (journey thread) with each configuration applied from the central."""
    exit_code: int | None = None
    quit: Callable[[int], None] | None = None
    """Ends the application with the given code (the UI's event loop); None: only remembered."""
    calls: StaffCallBoard = field(default_factory=StaffCallBoard)
    """Help and card-left calls, carried by the heartbeats until the central acknowledges one."""

    # -- sync thread ------------------------------------------------------------------------
    def facts(self) -> Mapping[str, object]:
        """The heartbeat fields added to the sync service's (no personal data)."""
        figures = None
        if self.paper is not None:
            estimate = self.paper.estimate()
            figures = health.PaperFigures(
                level_pct=round(estimate.level * 100),
                pages_left=estimate.remaining,
                pages_printed_total=estimate.pages_printed_total,
            )
        return {
            "config_version": self.agent.config_version or "kiosk.toml",
            "config_etag": self.agent.config_etag,
            "catalogue_version": catalogue_version(self.journey.catalogue.prices_cents),
            "channel": self.channel,
            "uptime_s": int(time.monotonic() - self.started),
            "health": health.device_health(
                self.board.snapshot(), self.board.details(), paper=figures
            ),
            "counters": self.counters(),
            "resident_calls": self.calls.outgoing(),
        }

    def on_ack(self, client: FleetTransport, ack: HeartbeatAck) -> float:
        """The central has the heartbeat: its staff calls are delivered; then the agent's work."""
        self.calls.delivered()
        return self.agent.on_ack(client, ack)

    def counters(self) -> DayCounters:
        return self.store.counters(datetime.now().astimezone().date())

    # -- journey thread ---------------------------------------------------------------------
    def attach(self, controller: JourneyController) -> None:
        self.controller = controller
        controller.on_idle(self._between_residents)
        controller.on_report(self._count)

    def _between_residents(self) -> None:
        self.gate.run_pending()

    def apply(self, managed: ManagedSettings) -> None:
        """Journey thread, between residents: run the central's configuration from now on."""
        self.config = with_managed(self.config, managed)
        self.journey = self.make_settings(self.config)
        for listener in self.on_applied:
            listener(self.config)
        if self.controller is not None:
            self.controller.apply_settings(self.journey)

    def _count(self, report: JourneyReport) -> None:
        paid = report.payment_status == "approved"
        reversed_ = report.reversal_status == "approved"
        self.store.count_session(
            datetime.now().astimezone().date(),
            documents=len(report.document_ids),
            revenue_cents=report.amount_cents if paid and not reversed_ else 0,
            paid=paid,
            reversed_=reversed_,
        )

    def restart(self, _command: Command) -> Outcome:
        def leave() -> None:
            self.exit_code = EXIT_RESTART
            log.info("fleet_restart", extra={"exit_code": EXIT_RESTART})
            if self.quit is not None:
                self.quit(EXIT_RESTART)

        return Outcome(outcome=CommandOutcome.DONE, detail="restarting", after=leave)

    def service(self, command: Command) -> Outcome:
        if self.controller is None:
            return Outcome(outcome=CommandOutcome.FAILED, detail="the journey is not running")
        out = command.kind is CommandKind.OUT_OF_SERVICE
        self.controller.remote_service(out=out, alert=REMOTE_ALERT)
        state = self.controller.state
        if out and state is not SessionState.OUT_OF_SERVICE:
            return Outcome(outcome=CommandOutcome.FAILED, detail=f"still {state.value}")
        if not out and state is SessionState.OUT_OF_SERVICE:
            reasons = ", ".join(a.reason for a in self.controller.alerts)
            return Outcome(
                outcome=CommandOutcome.FAILED, detail=f"staff alerts still open: {reasons}"
            )
        return Outcome(outcome=CommandOutcome.DONE, detail=state.value)


def maintenance_code_handler(staff: StaffAuthenticator) -> Handler:
    """`issue_maintenance_code`: arguments `code_hash` (scrypt, `python -m kiosk staff-hash`)
    and `expires_at` (ISO 8601 with a zone); the code itself never leaves the central."""

    def handle(command: Command) -> Outcome:
        raw_hash = command.arguments.get("code_hash", "")
        raw_expiry = command.arguments.get("expires_at", "")
        try:
            expires_at = datetime.fromisoformat(raw_expiry)
        except ValueError:
            return Outcome(outcome=CommandOutcome.REFUSED, detail="expires_at: ISO 8601 expected")
        if expires_at.tzinfo is None:
            return Outcome(outcome=CommandOutcome.REFUSED, detail="expires_at: a time zone needed")
        if expires_at <= datetime.now(tz=UTC):
            return Outcome(outcome=CommandOutcome.REFUSED, detail="expires_at is in the past")
        try:
            staff.install_code(raw_hash, expires_at=expires_at)
        except StaffCodeFormatError as err:
            return Outcome(outcome=CommandOutcome.REFUSED, detail=f"code_hash: {err}")
        return Outcome(
            outcome=CommandOutcome.DONE, detail=f"code valid until {expires_at.isoformat()}"
        )

    return handle


def settled(future: Future[T], describe: Callable[[T], Outcome]) -> Future[Outcome]:
    """`future`'s value turned into an `Outcome` (its error stays an error)."""
    result: Future[Outcome] = Future()

    def done(f: Future[T]) -> None:
        err = f.exception()
        if err is not None:
            result.set_exception(err)
            return
        try:
            result.set_result(describe(f.result()))
        except Exception as failure:  # noqa: BLE001 - reported as the command's failure
            result.set_exception(failure)

    future.add_done_callback(done)
    return result


NOT_SUPPORTED: Final[Mapping[CommandKind, str]] = MappingProxyType(
    {
        CommandKind.UPLOAD_LOGS: "this kiosk has no way to send its logs",
    }
)
"""The refusals of the command kinds this kiosk was built without (an upload without sender)."""


def refuse(detail: str) -> Handler:
    def handle(_command: Command) -> Outcome:
        return Outcome(outcome=CommandOutcome.REFUSED, detail=detail)

    return handle


class TestPagePrinter(Protocol):
    def print_test_page(self, *, lines: Sequence[str]) -> Future[PrintOutcome]: ...


class DayCloser(Protocol):
    def end_of_day(self) -> Future[EndOfDay]: ...


class Syncer(Protocol):
    def deliver_now(self) -> Future[int]: ...


def build_fleet(
    *,
    config: KioskConfig,
    make_settings: Callable[[KioskConfig], JourneySettings],
    board: health.HealthBoard,
    paper: PaperTracker | None,
) -> Fleet:
    """The fleet agent over `var/data/fleet/`; the last good central configuration, if one is
    kept there, is already applied to the returned `fleet.config`."""
    store = FleetStore(config.var_dir / "data" / "fleet")
    holder: list[Fleet] = []

    def apply(managed: ManagedSettings) -> None:
        holder[0].apply(managed)

    own = settings_document(config.managed) if config.managed is not None else {}

    def validate(settings: Mapping[str, Any]) -> ManagedSettings:
        # the central sends what its operators set: laid over this kiosk's own managed keys
        return validated_managed(layered(own, settings))

    agent = FleetAgent(
        kiosk_id=config.kiosk_id,
        store=store,
        gate=BetweenResidents(),
        validate=validate,
        apply=apply,
    )
    kept = agent.restore()
    running = with_managed(config, kept) if kept is not None else config
    fleet = Fleet(
        agent=agent,
        gate=agent.gate,
        store=store,
        channel=UpdateChannel(config.central.channel),
        paper=paper,
        board=board,
        config=running,
        journey=make_settings(running),
        make_settings=make_settings,
    )
    holder.append(fleet)
    return fleet


def install_handlers(
    fleet: Fleet,
    *,
    sync: Syncer,
    printer: TestPagePrinter,
    payment: DayCloser,
    staff: StaffAuthenticator,
    logs: LogSender | None = None,
) -> None:
    """Every command kind of the wire gets its handler (or a refusal saying why)."""

    def sync_now(_c: Command) -> Future[Outcome]:
        return settled(
            sync.deliver_now(),
            lambda n: Outcome(outcome=CommandOutcome.DONE, detail=f"{n} record(s) delivered"),
        )

    def print_test(_c: Command) -> Future[Outcome]:
        lines = (
            f"kiosk {fleet.config.kiosk_id}",
            datetime.now().astimezone().isoformat(timespec="seconds"),
        )

        def described(outcome: PrintOutcome) -> Outcome:
            if outcome.completed:
                return Outcome(outcome=CommandOutcome.DONE, detail=f"job {outcome.job_id}")
            return Outcome(outcome=CommandOutcome.FAILED, detail=outcome.reason or "not printed")

        return settled(printer.print_test_page(lines=lines), described)

    def end_of_day(_c: Command) -> Future[Outcome]:
        def described(closed: EndOfDay) -> Outcome:
            if not closed.approved:
                return Outcome(
                    outcome=CommandOutcome.FAILED,
                    detail=f"terminal refused the end of day (result code {closed.result_code})",
                )
            fleet.board.set_detail(health.PAYMENT_TERMINAL, last_end_of_day=datetime.now(tz=UTC))
            total = "" if closed.total_cents is None else f", total {closed.total_cents} cents"
            return Outcome(outcome=CommandOutcome.DONE, detail=f"day closed{total}")

        return settled(payment.end_of_day(), described)

    def reload_config(_c: Command) -> Outcome:
        fleet.agent.request_config_reload()
        return Outcome(outcome=CommandOutcome.DONE, detail="configuration pulled again")

    handlers: dict[CommandKind, Handler] = {
        CommandKind.RESTART_APP: fleet.restart,
        CommandKind.SYNC_NOW: sync_now,
        CommandKind.OUT_OF_SERVICE: fleet.service,
        CommandKind.BACK_IN_SERVICE: fleet.service,
        CommandKind.PRINT_TEST_PAGE: print_test,
        CommandKind.END_OF_DAY: end_of_day,
        CommandKind.RELOAD_CONFIG: reload_config,
        CommandKind.ISSUE_MAINTENANCE_CODE: maintenance_code_handler(staff),
    }
    handlers |= {kind: refuse(why) for kind, why in NOT_SUPPORTED.items()}
    handlers |= {CommandKind.UPLOAD_LOGS: upload_logs_handler(fleet, logs)} if logs else {}
    fleet.agent.handlers.update(handlers)


def upload_logs_handler(fleet: Fleet, logs: LogSender) -> Handler:
    """`upload_logs`: the newest redacted log lines, collected and sent on the sync thread."""

    def handle(command: Command) -> Future[Outcome]:
        def collect() -> LogUpload:
            return collect_upload(
                directory=fleet.config.logging.directory,
                kiosk_id=fleet.config.kiosk_id,
                command_id=command.command_id,
            )

        return settled(
            logs.upload_logs(collect),
            lambda ack: Outcome(
                outcome=CommandOutcome.DONE,
                detail=f"upload {ack.upload_id}: {ack.stored_chars} characters",
            ),
        )

    return handle

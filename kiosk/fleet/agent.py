"""The kiosk's fleet agent: reacts to the heartbeat's answer from the central.

On the sync thread, after each heartbeat (`on_ack`):

- a configuration ETag other than the one running is pulled (`If-None-Match`), validated by the
  same rules as `kiosk.toml`, kept on disk and applied between residents, then reported; a bad one
  is refused with the reason reported, and the running one stays;
- each command is executed once: its id is persisted before it runs, and its result after. A
  command delivered again is not run again (its stored result is reported again); one found
  started but unfinished after a restart is reported failed, not run a second time;
- results (and configuration reports) are sent until the central acknowledges them;
- the next heartbeat comes after `next_poll_seconds`, bounded by `PollBounds`.

Commands run on the journey's thread between residents (`BetweenResidents`). A handler answers
at once (`Outcome`) or later (`Future[Outcome]`, for device work on its own runner).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from hardware.errors import BorneError
from kiosk.fleet.gate import BetweenResidents
from kiosk.fleet.store import FleetStore
from offline_queue.errors import CentralRejected, SyncError
from offline_queue.managed_config import ManagedSettings
from offline_queue.wire import (
    Command,
    CommandKind,
    CommandOutcome,
    CommandResult,
    ConfigReport,
    HeartbeatAck,
    KioskConfigDocument,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    outcome: CommandOutcome
    detail: str = ""
    after: Callable[[], None] | None = None
    """Runs once the result is stored (restart: the result must be kept before the exit)."""


Handler = Callable[[Command], "Outcome | Future[Outcome]"]


class FleetTransport(Protocol):
    """What the agent needs from the central client (`offline_queue.client.CentralClient`)."""

    def fetch_config(self, *, etag: str) -> KioskConfigDocument | None: ...

    def report_config(self, report: ConfigReport) -> None: ...

    def report_command(self, result: CommandResult) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PollBounds:
    low_s: float = 5.0
    high_s: float = 900.0

    def clamp(self, seconds: float) -> float:
        return min(self.high_s, max(self.low_s, seconds))


class FleetAgent:
    def __init__(
        self,
        *,
        kiosk_id: str,
        store: FleetStore,
        gate: BetweenResidents,
        validate: Callable[[Mapping[str, Any]], ManagedSettings],
        apply: Callable[[ManagedSettings], None],
        handlers: Mapping[CommandKind, Handler] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        bounds: PollBounds = PollBounds(),
    ) -> None:
        """`validate` raises a `BorneError` naming the bad key; `apply` runs on the journey's
        thread, between residents."""
        self._kiosk_id = kiosk_id
        self._store = store
        self.gate = gate
        self._validate = validate
        self._apply = apply
        self.handlers: dict[CommandKind, Handler] = dict(handlers or {})
        self._clock = clock
        self._bounds = bounds
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._reports: list[ConfigReport] = []
        self._etag = ""
        self.config_version = ""
        self._refused_etag = ""
        self._force_pull = False

    # -- state for the heartbeat ------------------------------------------------------------
    @property
    def config_etag(self) -> str:
        with self._lock:
            return self._etag

    def restore(self) -> ManagedSettings | None:
        """At start-up: the last good configuration kept on disk, to run before the first pull."""
        document = self._store.load_config()
        if document is None:
            return None
        try:
            managed = self._validate(document.settings)
        except BorneError as err:
            log.error("fleet_config_kept_invalid", extra={"etag": document.etag, "key": str(err)})
            return None
        with self._lock:
            self._etag, self.config_version = document.etag, document.version
        log.info("fleet_config_restored", extra={"etag": document.etag})
        return managed

    def request_config_reload(self) -> None:
        """The next `on_ack` pulls the configuration even when its ETag did not change."""
        with self._lock:
            self._force_pull = True

    # -- sync thread ------------------------------------------------------------------------
    def on_ack(self, client: FleetTransport, ack: HeartbeatAck) -> float:
        """Handle the central's answer; returns the seconds until the next heartbeat."""
        with self._lock:
            force, self._force_pull = self._force_pull, False
            wanted = ack.config_etag and ack.config_etag not in (self._etag, self._refused_etag)
        if force or wanted:
            self.pull_config(client, force=force)
        for command in ack.commands:
            self.receive(command)
        self.report(client)
        return self._bounds.clamp(float(ack.next_poll_seconds))

    def pull_config(self, client: FleetTransport, *, force: bool = False) -> None:
        try:
            document = client.fetch_config(etag="" if force else self.config_etag)
        except SyncError as err:
            log.warning("fleet_config_not_fetched", extra={"reason": err.translation_key})
            return
        if document is None:
            log.info("fleet_config_unchanged", extra={"etag": self.config_etag})
            return
        try:
            managed = self._validate(document.settings)
        except BorneError as err:
            reason = str(err)
            log.warning("fleet_config_refused", extra={"etag": document.etag, "reason": reason})
            with self._lock:
                self._refused_etag = document.etag
                self._reports.append(
                    ConfigReport(
                        kiosk_id=self._kiosk_id,
                        etag=document.etag,
                        applied=False,
                        reason=reason[:500],
                    )
                )
            return
        self._store.save_config(document)
        self.gate.submit("config", lambda: self._apply_now(document, managed))

    def _apply_now(self, document: KioskConfigDocument, managed: ManagedSettings) -> None:
        self._apply(managed)
        with self._lock:
            self._etag, self.config_version = document.etag, document.version
            self._reports.append(
                ConfigReport(kiosk_id=self._kiosk_id, etag=document.etag, applied=True)
            )
        log.info("fleet_config_applied", extra={"etag": document.etag, "version": document.version})

    def receive(self, command: Command) -> None:
        """Sync thread: schedule `command` once; a known one is not run again."""
        with self._lock:
            if command.command_id in self._running:
                return
            known = self._store.result_of(command.command_id)
            fresh = known is None and self._store.begin(command.command_id)
            if fresh:
                self._running.add(command.command_id)
        if known is not None:
            log.info("fleet_command_repeated", extra={"command_id": command.command_id})
            self._store.finish(known)  # the central did not get it: report it again
            return
        interrupted = not fresh
        if interrupted:
            self._finish(
                command,
                Outcome(
                    outcome=CommandOutcome.FAILED,
                    detail="interrupted by a restart before it finished; not run again",
                ),
            )
            return
        log.info(
            "fleet_command_received",
            extra={"command_id": command.command_id, "kind": command.kind.value},
        )
        self.gate.submit(f"command:{command.kind.value}", lambda: self._run(command))

    def report(self, client: FleetTransport) -> None:
        """Send what the central has not acknowledged yet; what fails waits for the next time."""
        with self._lock:
            reports, self._reports = self._reports, []
        for i, report in enumerate(reports):
            try:
                client.report_config(report)
            except CentralRejected as err:
                log.warning("fleet_config_report_refused", extra={"status": err.status})
            except SyncError:
                with self._lock:
                    self._reports[:0] = reports[i:]
                break
        for result in self._store.unreported():
            try:
                client.report_command(result)
            except CentralRejected as err:
                log.warning(
                    "fleet_result_refused",
                    extra={"command_id": result.command_id, "status": err.status},
                )
            except SyncError as err:
                log.info("fleet_result_deferred", extra={"reason": err.translation_key})
                return
            self._store.mark_reported(result.command_id)

    # -- journey thread ---------------------------------------------------------------------
    def _run(self, command: Command) -> None:
        handler = self.handlers.get(command.kind)
        if handler is None:
            self._finish(
                command,
                Outcome(
                    outcome=CommandOutcome.REFUSED,
                    detail=f"{command.kind.value} is not supported by this kiosk",
                ),
            )
            return
        try:
            answer = handler(command)
        except Exception as err:  # a handler's bug is reported, not fatal
            log.exception("fleet_command_crashed", extra={"command_id": command.command_id})
            self._finish(command, Outcome(outcome=CommandOutcome.FAILED, detail=type(err).__name__))
            return
        if isinstance(answer, Outcome):
            self._finish(command, answer)
        else:
            answer.add_done_callback(lambda done: self._settled(command, done))

    def _settled(self, command: Command, done: Future[Outcome]) -> None:
        err = done.exception()
        if err is None:
            self._finish(command, done.result())
            return
        detail = err.translation_key if isinstance(err, BorneError) else type(err).__name__
        self._finish(command, Outcome(outcome=CommandOutcome.FAILED, detail=detail))

    def _finish(self, command: Command, outcome: Outcome) -> None:
        result = CommandResult(
            command_id=command.command_id,
            kiosk_id=self._kiosk_id,
            outcome=outcome.outcome,
            finished_at=self._clock(),
            detail=outcome.detail[:500],
        )
        self._store.finish(result)
        with self._lock:
            self._running.discard(command.command_id)
        log.info(
            "fleet_command_done",
            extra={
                "command_id": command.command_id,
                "kind": command.kind.value,
                "outcome": outcome.outcome.value,
            },
        )
        if outcome.after is not None:
            outcome.after()

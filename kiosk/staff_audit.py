"""The staff audit: every staff action at this kiosk, hash-chained and queued for the central.

`StaffAuditLog.record` appends one event: its sequence number (from 1, without gaps), the time, a
pseudonymous staff id (`actor`, never a name or a national number), the staff role, a machine word
for the action and short details, and the SHA-256 of the previous event's canonical JSON
(`offline_queue.wire.canonical_event_json`; the first event's is 32 zero bytes). The event is
committed to its own SQLite file (WAL, synchronous=FULL, mode 0600) before it is handed to the
outbox through `queue`; events not yet handed over (a crash in between, no central wired yet) are
handed over again by `resend_unqueued`, and the outbox drops the copies it already holds.

The central recomputes the chain on arrival (`central.staff_audit`): an event changed or removed
here afterwards raises a fleet alert there. Used from the UI thread and the sync thread, each call
under one lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from hardware.errors import BorneError
from offline_queue.wire import StaffAuditEvent
from offline_queue.wire_staff import GENESIS_HASH, event_hash

log = logging.getLogger(__name__)

FILE_MODE: Final = 0o600

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS staff_events (
    seq INTEGER PRIMARY KEY,
    event_json TEXT NOT NULL,
    event_hash TEXT NOT NULL,
    queued INTEGER NOT NULL DEFAULT 0
);
"""


class StaffAuditError(BorneError):
    """A staff event could not be recorded (invalid detail, or the store cannot be written)."""


Queue = Callable[[StaffAuditEvent], "Future[bool]"]
"""Hands one event to the outbox on its thread (`SyncService.queue_staff_event`)."""


class StaffAuditLog:
    """The kiosk's hash-chained staff events (see the module's docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        kiosk_id: str,
        queue: Queue | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
    ) -> None:
        self.path = path
        self._kiosk_id = kiosk_id
        self._queue = queue
        self._clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
            path.chmod(FILE_MODE)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StaffAuditError(
                "cannot open the staff audit", params={"path": str(path)}
            ) from err

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def attach(self, queue: Queue) -> int:
        """From now on events go to `queue`; those not handed over yet go now (their count)."""
        self._queue = queue
        return self.resend_unqueued()

    def record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        """Append one staff action to the chain, durably, then queue it for the central."""
        with self._lock:
            event = self._append(actor=actor, role=role, action=action, detail=detail)
        log.info(
            "staff_audit_event",
            extra={"seq": event.seq, "action": event.action, "role": event.role},
        )
        self._hand_over(event)

    def _append(
        self, *, actor: str, role: str, action: str, detail: Mapping[str, str]
    ) -> StaffAuditEvent:
        try:
            last = self._db.execute(
                "SELECT seq, event_hash FROM staff_events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, previous = (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
            event = StaffAuditEvent(
                kiosk_id=self._kiosk_id,
                seq=seq,
                occurred_at=self._clock(),
                actor=actor,
                role=role,
                action=action,
                detail=dict(detail),
                prev_hash=previous,
            )
            self._db.execute(
                "INSERT INTO staff_events (seq, event_json, event_hash) VALUES (?, ?, ?)",
                (seq, event.model_dump_json(), event_hash(event)),
            )
        except ValidationError as err:
            raise StaffAuditError(
                "invalid staff event",
                params={"action": action[:64], "errors": str(err.error_count())},
            ) from err
        except sqlite3.Error as err:
            raise StaffAuditError("cannot write the staff audit") from err
        return event

    def _hand_over(self, event: StaffAuditEvent) -> None:
        if self._queue is None:
            return
        try:
            queued = self._queue(event)
        except BorneError as err:  # the sync runner has stopped: sent again at the next start
            log.warning(
                "staff_audit_not_queued", extra={"seq": event.seq, "error": type(err).__name__}
            )
            return
        queued.add_done_callback(lambda done: self._queued(event.seq, done))

    def _queued(self, seq: int, done: Future[bool]) -> None:
        error = done.exception()
        if error is not None:
            log.warning("staff_audit_not_queued", extra={"seq": seq, "error": type(error).__name__})
            return
        try:
            with self._lock:
                self._db.execute("UPDATE staff_events SET queued = 1 WHERE seq = ?", (seq,))
        except sqlite3.Error:  # closed meanwhile: handed over again at the next start
            log.warning("staff_audit_queue_mark_failed", extra={"seq": seq})

    def resend_unqueued(self) -> int:
        """Hand the events the outbox may not hold yet to `queue` again; how many were handed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event_json FROM staff_events WHERE queued = 0 ORDER BY seq"
            ).fetchall()
        events = [StaffAuditEvent.model_validate_json(row[0]) for row in rows]
        for event in events:
            self._hand_over(event)
        return len(events) if self._queue is not None else 0

    def events(self) -> tuple[StaffAuditEvent, ...]:
        """Every event recorded, in sequence order."""
        with self._lock:
            rows = self._db.execute("SELECT event_json FROM staff_events ORDER BY seq").fetchall()
        return tuple(StaffAuditEvent.model_validate_json(row[0]) for row in rows)

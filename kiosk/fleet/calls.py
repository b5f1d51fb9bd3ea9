"""The calls to staff that ride on the heartbeat (`Heartbeat.resident_calls`) until one is
acknowledged by the central: a resident's Help, a card left behind.

`call` (any thread) keeps the call and asks for a heartbeat at once (`nudge`); the sync thread
takes the pending calls into each heartbeat (`outgoing`) and, once the central has acknowledged
that heartbeat, drops the calls it carried (`delivered`). A heartbeat that fails keeps them for
the next one. Nothing here holds personal data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Final

from kiosk.ports import StaffCall
from offline_queue.wire import ResidentCall, ResidentCallKind

log = logging.getLogger(__name__)

MAX_PENDING: Final = 16
"""Calls kept while the central cannot be reached (the oldest are dropped first, and logged)."""


class StaffCallBoard:
    """The `calls` port of the journey and a source of the heartbeat's facts."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC)) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: list[tuple[int, ResidentCall]] = []
        self._seq = 0
        self._sent_upto = 0
        self.nudge: Callable[[], object] | None = None
        """Sends a heartbeat now (`SyncService.send_heartbeat`); None: the next one carries it."""

    def call(self, call: StaffCall) -> Future[None]:
        wire_call = ResidentCall(
            kind=ResidentCallKind(call.kind),
            screen=call.screen,
            reason=call.reason,
            raised_at=self._clock(),
        )
        with self._lock:
            self._seq += 1
            self._pending.append((self._seq, wire_call))
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                log.error("staff_call_dropped", extra={"kept": MAX_PENDING})
        nudge = self.nudge
        if nudge is not None:
            try:
                nudge()
            except Exception as err:  # noqa: BLE001 - the call stays for the next heartbeat
                log.warning("staff_call_heartbeat_not_started", extra={"error": type(err).__name__})
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def outgoing(self) -> tuple[ResidentCall, ...]:
        """Sync thread: the calls the next heartbeat carries."""
        with self._lock:
            self._sent_upto = self._seq
            return tuple(c for _, c in self._pending)

    def delivered(self) -> None:
        """Sync thread: the central acknowledged the heartbeat built by the last `outgoing`."""
        with self._lock:
            upto = self._sent_upto
            before = len(self._pending)
            self._pending = [(n, c) for n, c in self._pending if n > upto]
            gone = before - len(self._pending)
        if gone:
            log.info("staff_calls_delivered", extra={"calls": gone})

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

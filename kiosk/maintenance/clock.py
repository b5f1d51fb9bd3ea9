"""The kiosk clock against the central's: each heartbeat acknowledgement carries its time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from offline_queue.wire import HeartbeatAck

C = TypeVar("C")


class ClockWatch:
    """Wraps the sync service's `on_ack`; `skew_s` > 0: this kiosk's clock is ahead."""

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(tz=UTC)) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._skew: float | None = None
        self._at: float | None = None

    def observe(self, ack: HeartbeatAck) -> None:
        skew = (self._now() - ack.received_at).total_seconds()
        with self._lock:
            self._skew = skew
            self._at = time.monotonic()

    @property
    def skew_s(self) -> float | None:
        with self._lock:
            return self._skew

    def wrap(
        self, on_ack: Callable[[C, HeartbeatAck], float]
    ) -> Callable[[C, HeartbeatAck], float]:
        def watched(client: C, ack: HeartbeatAck) -> float:
            self.observe(ack)
            return on_ack(client, ack)

        return watched

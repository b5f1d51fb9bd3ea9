"""Work that must wait until no resident is being served.

Any thread submits; the journey's thread runs what waits each time it is idle (attract screen or
out of service), so a configuration or a command never changes the kiosk under a resident.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)


class BetweenResidents:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[tuple[str, Callable[[], None]]] = deque()

    def submit(self, what: str, action: Callable[[], None]) -> None:
        """Run `action` at the next idle moment; `what` names it in the log."""
        with self._lock:
            self._waiting.append((what, action))

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def run_pending(self) -> int:
        """Journey thread, between residents: run what waits, in order; returns how many ran."""
        ran = 0
        while True:
            with self._lock:
                if not self._waiting:
                    return ran
                what, action = self._waiting.popleft()
            try:
                action()
            except Exception:  # one failing action must not stop the kiosk nor the others
                log.exception("between_residents_failed", extra={"what": what})
            ran += 1

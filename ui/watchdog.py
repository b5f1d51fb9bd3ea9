"""Measures how long the Qt event loop stays blocked.

A precise `QTimer` beats every `interval_ms` on the main thread; the gap between two beats minus the
interval is the stall. A monitor thread notices a stall while it is still going on and logs it once.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)


class EventLoopWatchdog(QObject):
    def __init__(
        self, *, interval_ms: int = 10, threshold_ms: float = 50.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.threshold_ms = threshold_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = time.perf_counter()
        self._max_ms = 0.0
        self._stalls = 0
        self._beats = 0
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    @property
    def max_stall_ms(self) -> float:
        """The longest time the loop was late for a beat, in ms (0 when it never was)."""
        return round(self._max_ms, 3)

    @property
    def stalls_over_threshold(self) -> int:
        return self._stalls

    @property
    def beats(self) -> int:
        return self._beats

    def reset(self) -> None:
        self._last = time.perf_counter()
        self._max_ms = 0.0
        self._stalls = 0
        self._beats = 0

    def start(self) -> None:
        self.reset()
        self._timer.start()
        self._stop.clear()
        self._monitor = threading.Thread(target=self._watch, name="ui-watchdog", daemon=True)
        self._monitor.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=1.0)
            self._monitor = None

    def _beat(self) -> None:
        now = time.perf_counter()
        late = (now - self._last) * 1000.0 - self.interval_ms
        self._last = now
        self._beats += 1
        self._max_ms = max(self._max_ms, late)
        if late > self.threshold_ms:
            self._stalls += 1
            log.warning("event_loop_stall", extra={"stall_ms": round(late, 1)})

    def _watch(self) -> None:
        reported = False
        period = self.interval_ms / 1000.0
        while not self._stop.wait(period):
            blocked_ms = (time.perf_counter() - self._last) * 1000.0 - self.interval_ms
            if blocked_ms > self.threshold_ms and not reported:
                reported = True
                log.warning("event_loop_blocked", extra={"blocked_ms": round(blocked_ms, 1)})
            elif blocked_ms <= self.threshold_ms:
                reported = False

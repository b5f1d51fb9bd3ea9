"""SIGTERM and SIGINT end the Qt main loop cleanly instead of killing the process.

Python runs signal handlers only when the interpreter gets control, which it does not while Qt
waits in its event loop. The C-level handler writes the signal number to a socket pair
(`signal.set_wakeup_fd`); a `QSocketNotifier` on the other end wakes the loop, and the stop
callback runs on the main thread like any other event.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals(QObject):
    """While installed, SIGTERM/SIGINT call `on_stop(signal_name)` once, from the event loop."""

    def __init__(self, on_stop: Callable[[str], None], *, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_stop = on_stop
        self.received: str | None = None
        self._dispatched = False
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = -1
        self._previous: dict[int, object] = {}
        self._notifier = QSocketNotifier(
            self._reader.fileno(), QSocketNotifier.Type.Read, parent=self
        )
        self._notifier.activated.connect(self._drain)

    def install(self) -> StopSignals:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handler)
        return self

    def uninstall(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            # once stopping, a second signal must not interrupt the clean-up that follows
            signal.signal(signum, _ignore if self.received else handler)  # type: ignore[arg-type]
        self._previous.clear()
        self._reader.close()
        self._writer.close()

    def dispatch(self) -> None:
        """Call `on_stop` now if a signal came and it has not run yet (idempotent).

        The socket notifier calls this from the event loop; the run calls it too when the loop
        never started or already ended, so a signal is never left unanswered.
        """
        if self.received is not None and not self._dispatched:
            self._dispatched = True
            self._on_stop(self.received)

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        # Runs between two Python bytecodes of whatever the main thread executes, possibly inside
        # a Qt callback (a resize, a paint): only note the signal. The clean-up runs from the
        # notifier, as an event of its own (`_drain`).
        if self.received is None:
            self.received = signal.Signals(signum).name
            log.info("stop_signal_received", extra={"signal": self.received})

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._reader.recv(64):
                pass
        self.dispatch()


def _ignore(signum: int, _frame: FrameType | None) -> None:
    log.info("stop_signal_ignored_while_stopping", extra={"signal": signal.Signals(signum).name})

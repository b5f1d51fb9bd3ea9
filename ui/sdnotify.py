"""systemd's notification protocol, spoken from the Qt main loop.

`Type=notify` units learn that the kiosk is ready (`READY=1`), alive (`WATCHDOG=1`) and stopping
(`STOPPING=1`) through datagrams on the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or
`@name` for the abstract namespace). The watchdog pings come from a `QTimer` on the main thread, so
they stop when the event loop is blocked and systemd restarts a frozen kiosk after `WatchdogSec=`.

Under a compositor (`cage -- kiosk run`) the unit's main process is the compositor: `READY=1`
carries `MAINPID=` so systemd follows the kiosk itself (the unit needs `NotifyAccess=all`), and
`$WATCHDOG_PID` naming our parent is accepted as naming us.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

MIN_PING_MS = 50


class SystemdNotifier:
    """Sends notification datagrams; silent (and cheap) when `$NOTIFY_SOCKET` is not set."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._sock: socket.socket | None = None
        if address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def notify(self, *assignments: str) -> bool:
        """Send `KEY=value` lines as one datagram; False when disabled or the socket refuses."""
        if self._sock is None or self._address is None:
            return False
        target = self._address
        if target.startswith("@"):
            target = "\0" + target[1:]
        try:
            self._sock.sendto("\n".join(assignments).encode("utf-8"), target)
        except OSError as err:
            log.warning("sd_notify_failed", extra={"errno": err.errno})
            return False
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_ms(environ: Mapping[str, str] | None = None) -> int | None:
    """Half of `$WATCHDOG_USEC` in ms, when the watchdog is meant for this process (else None)."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "").strip()
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = env.get("WATCHDOG_PID", "").strip()
    if owner and owner.isdigit() and int(owner) not in (os.getpid(), os.getppid()):
        return None
    return max(MIN_PING_MS, int(usec) // 2000)


class MainLoopNotifier(QObject):
    """READY once the window is up, WATCHDOG from a main-thread timer, STOPPING at the end."""

    def __init__(
        self,
        notifier: SystemdNotifier | None = None,
        *,
        interval_ms: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._notifier = notifier or SystemdNotifier.from_environment()
        self._timer = QTimer(self)
        self._interval = interval_ms if interval_ms is not None else watchdog_interval_ms()
        self._timer.timeout.connect(self._ping)

    def ready(self) -> None:
        if not self._notifier.enabled:
            return
        self._notifier.notify("READY=1", f"MAINPID={os.getpid()}", "STATUS=serving residents")
        log.info("sd_notify_ready", extra={"watchdog_ms": self._interval})
        if self._interval is not None:
            self._timer.start(self._interval)

    def _ping(self) -> None:
        self._notifier.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self._timer.stop()
        self._notifier.notify("STOPPING=1")
        self._notifier.close()

"""systemd's watchdog: READY and WATCHDOG datagrams on a real AF_UNIX socket, sent from the Qt
main loop, so they stop while the loop is blocked (and systemd restarts a frozen kiosk)."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from ui.sdnotify import MainLoopNotifier, SystemdNotifier, watchdog_interval_ms

INTERVAL_MS = 50


class Listener:
    """The service manager's end: a bound, non-blocking datagram socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)

    def received(self) -> list[str]:
        """Every datagram waiting now."""
        got = []
        while True:
            try:
                got.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return got

    def wait(self, timeout: float) -> bool:
        """True when a datagram arrives within `timeout` (it stays queued)."""
        return bool(select.select([self.sock], [], [], timeout)[0])

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    got = Listener(tmp_path / "notify.sock")
    yield got
    got.close()


def test_the_watchdog_interval_is_half_of_systemds_and_only_for_this_process() -> None:
    import os  # noqa: PLC0415

    assert watchdog_interval_ms({"WATCHDOG_USEC": "20000000"}) == 10_000
    assert watchdog_interval_ms({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())})
    assert watchdog_interval_ms({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_ms({}) is None
    assert not SystemdNotifier.from_environment({}).enabled


@pytest.mark.ui
def test_ready_then_watchdog_pings_that_stop_while_the_main_loop_is_blocked(
    qtbot: QtBot, listener: Listener
) -> None:
    notifier = MainLoopNotifier(SystemdNotifier(str(listener.path)), interval_ms=INTERVAL_MS)
    notifier.ready()
    messages: list[str] = []
    qtbot.waitUntil(lambda: len(_add(messages, listener)) >= 4, timeout=10_000)
    assert messages[0].splitlines()[0] == "READY=1"
    assert "MAINPID=" in messages[0]
    assert set(messages[1:]) == {"WATCHDOG=1"}

    # Block the main thread inside an event handler; a watcher thread reads the socket meanwhile.
    blocked, released = threading.Event(), threading.Event()
    during: list[bool] = []

    def watch() -> None:
        blocked.wait(10)
        listener.received()  # what was sent before the block
        during.append(listener.wait(INTERVAL_MS * 6 / 1000))
        released.set()

    watcher = threading.Thread(target=watch)
    watcher.start()

    def freeze() -> None:
        blocked.set()
        released.wait(10)

    QTimer.singleShot(0, freeze)
    qtbot.waitUntil(released.is_set, timeout=10_000)
    watcher.join(timeout=5)
    assert during == [False]  # not one ping in six intervals while the loop was blocked
    after: list[str] = []
    qtbot.waitUntil(lambda: len(_add(after, listener)) >= 1, timeout=10_000)
    assert after[0] == "WATCHDOG=1"  # the loop runs again, the pings resume
    notifier.stopping()
    assert listener.wait(5)
    assert "STOPPING=1" in listener.received()


def _add(into: list[str], listener: Listener) -> list[str]:
    into.extend(listener.received())
    return into

"""SIGTERM stops the kiosk cleanly: the session is wiped, the outbox flushed, every daemon the demo
started is gone and the exit code is 0; `make demo` on a display opens the kiosk window."""

from __future__ import annotations

import json
import shutil
import signal
import socket
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.deploy.harness import (
    alive,
    children,
    explained,
    kiosk,
    kiosk_env,
    log_events,
    lp_readable_dir,
    receive,
    stop,
    wait_for,
    x_windows,
    xvfb,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.pcsc,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.hsm,
]

DAEMONS = ("cupsd", "central serve")


@pytest.fixture
def var_dir() -> Iterator[Path]:
    path = lp_readable_dir("borne-stop-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _daemons(pid: int) -> dict[int, str]:
    return {p: cmd for p, cmd in children(pid).items() if any(d in cmd for d in DAEMONS)}


def test_sigterm_during_headless_journeys_stops_every_daemon_and_exits_0(
    var_dir: Path, tmp_path: Path
) -> None:
    with closing(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)) as notify:
        notify.bind(str(tmp_path / "notify.sock"))
        env = kiosk_env(
            var_dir,
            QT_QPA_PLATFORM="offscreen",
            NOTIFY_SOCKET=str(tmp_path / "notify.sock"),
            WATCHDOG_USEC="2000000",
        )
        process = kiosk(["demo", "--autoplay", "--sessions", "50"], env)
        with explained(process, var_dir):
            ready = receive(notify, process, timeout=240, what="READY=1")
            assert ready.startswith("READY=1"), ready
            assert receive(notify, process, timeout=30, what="a watchdog ping") == "WATCHDOG=1"
            wait_for(
                lambda: (
                    any(r.get("to") == "pin" for r in log_events(var_dir, "state_change"))
                    or process.poll() is not None
                ),
                timeout=120,
                what="a resident to reach the PIN screen",
            )
            assert process.poll() is None, "the kiosk exited before a resident reached the PIN"
            daemons = _daemons(process.pid)
            assert {d for d in DAEMONS if any(d in c for c in daemons.values())} == set(DAEMONS)
            # staff's view into a frozen kiosk: every thread's stack on stderr; the kiosk goes on
            # (it still exits 0 on SIGTERM below, its main loop pinging meanwhile)
            process.send_signal(signal.SIGUSR1)
            while receive(notify, process, timeout=30, what="a ping after SIGUSR1") != "WATCHDOG=1":
                pass
        code, out, err = stop(process, timeout=90)
        assert code == 0, err[-3000:]
        assert "(most recent call first)" in err
        assert "Current thread" in err
        summary = json.loads(out.splitlines()[-1])
        assert summary["outcome"] == "stopped"
        assert summary["stopped_by"] == "SIGTERM"
        assert alive(list(daemons)) == [], daemons
        assert children(process.pid) == {}
        last = ""
        while "STOPPING=1" not in last:
            last = receive(notify, process, timeout=5, what="STOPPING=1")
    wiped = log_events(var_dir, "session_wiped_on_shutdown")
    assert len(wiped) == 1
    assert log_events(var_dir, "outbox_flushed_on_stop")


def test_make_demo_on_a_display_opens_the_window_and_sigterm_stops_it(var_dir: Path) -> None:
    """What `make demo` runs (`python -m kiosk demo`), with DISPLAY set: the xcb plugin loads."""
    with xvfb(1280, 1024) as display:
        env = kiosk_env(var_dir, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        process = kiosk(["demo"], env)
        with explained(process, var_dir):
            wait_for(
                lambda: x_windows(display, "Borne") or process.poll() is not None,
                timeout=180,
                what="the demo's kiosk window to be mapped",
            )
            assert process.poll() is None, "the demo exited before its window was mapped"
            daemons = _daemons(process.pid)
            assert daemons
        code, _out, err = stop(process, timeout=90)
        assert code == 0, err[-3000:]
        assert alive(list(daemons)) == []
        assert x_windows(display, "Borne") == []

"""SIGTERM stops the kiosk cleanly: the session is wiped, the outbox flushed, every daemon the demo
started is gone and the exit code is 0; `make demo` on a display opens the kiosk window."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.harness import (
    alive,
    children,
    kiosk,
    kiosk_env,
    log_events,
    lp_readable_dir,
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
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(240)
    env = kiosk_env(
        var_dir,
        QT_QPA_PLATFORM="offscreen",
        NOTIFY_SOCKET=str(tmp_path / "notify.sock"),
        WATCHDOG_USEC="2000000",
    )
    process = kiosk(["demo", "--autoplay", "--sessions", "50"], env)
    try:
        assert notify.recv(4096).decode().startswith("READY=1")
        assert notify.recv(4096).decode() == "WATCHDOG=1"
        wait_for(
            lambda: any(r.get("to") == "pin" for r in log_events(var_dir, "state_change")),
            timeout=120,
            what="a resident to reach the PIN screen",
        )
        daemons = _daemons(process.pid)
        assert {d for d in DAEMONS if any(d in c for c in daemons.values())} == set(DAEMONS)
    finally:
        code, out, err = stop(process, timeout=90)
    assert code == 0, err[-3000:]
    summary = json.loads(out.splitlines()[-1])
    assert summary["outcome"] == "stopped"
    assert summary["stopped_by"] == "SIGTERM"
    assert alive(list(daemons)) == [], daemons
    assert children(process.pid) == {}
    notify.settimeout(5)
    last = ""
    while "STOPPING=1" not in last:
        last = notify.recv(4096).decode()
    notify.close()
    wiped = log_events(var_dir, "session_wiped_on_shutdown")
    assert len(wiped) == 1
    assert log_events(var_dir, "outbox_flushed_on_stop")


def test_make_demo_on_a_display_opens_the_window_and_sigterm_stops_it(var_dir: Path) -> None:
    """What `make demo` runs (`python -m kiosk demo`), with DISPLAY set: the xcb plugin loads."""
    with xvfb(1280, 1024) as display:
        env = kiosk_env(var_dir, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        process = kiosk(["demo"], env)
        try:
            wait_for(
                lambda: x_windows(display, "Borne") or process.poll() is not None,
                timeout=180,
                what="the demo's kiosk window to be mapped",
            )
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            daemons = _daemons(process.pid)
            assert daemons
        finally:
            code, _out, err = stop(process, timeout=90)
        assert code == 0, err[-3000:]
        assert alive(list(daemons)) == []
        assert x_windows(display, "Borne") == []

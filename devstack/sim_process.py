"""`kiosk sim up / down / serve`: the simulated stack in a detached process, found by its state file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devstack.enrollment import DEMO_KIOSK_ID
from devstack.fallbacks import SimStartError
from devstack.sim import SimEndpoints, SimStack


def state_file(var_dir: Path) -> Path:
    return var_dir / "run" / "sim.json"


def serve(*, var_dir: Path, persona: str, kiosk_id: str = DEMO_KIOSK_ID) -> int:
    """Run the stack in this process until SIGTERM/SIGINT, with the card inserted."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = SimStack(var_dir=var_dir, persona=persona, card_inserted=True, kiosk_id=kiosk_id)
    endpoints = stack.start()
    path = state_file(var_dir)
    try:
        path.write_text(endpoints.to_json() + "\n", encoding="utf-8")
        stopping.wait()
    finally:
        path.unlink(missing_ok=True)
        stack.stop()
    return 0


def up(
    *, var_dir: Path, persona: str, config: Path | None, timeout_s: float = 60.0
) -> SimEndpoints:
    """Start `serve` detached and wait for its endpoints; fails with the supervisor's log tail."""
    path = state_file(var_dir)
    existing = running(var_dir)
    if existing is not None:
        return existing
    path.unlink(missing_ok=True)
    (var_dir / "log").mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "log" / "sim.log"
    args = [sys.executable, "-m", "kiosk"]
    if config is not None:
        args += ["--config", str(config)]
    args += ["sim", "serve", "--persona", persona]
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + timeout_s
    ready = threading.Event()
    while not ready.wait(0.1):
        if path.exists() and path.read_text(encoding="utf-8").strip():
            return _load(path)
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.terminate()
            tail = "\n".join(
                log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
            )
            raise SimStartError(part="simulated stack", reason="did not come up", log_tail=tail)
    raise AssertionError("unreachable")


def _load(path: Path) -> SimEndpoints:
    fields = json.loads(path.read_text(encoding="utf-8"))
    fields["fallbacks"] = tuple(fields.get("fallbacks", ()))
    return SimEndpoints(**fields)


def running(var_dir: Path) -> SimEndpoints | None:
    path = state_file(var_dir)
    if not path.exists():
        return None
    try:
        endpoints = _load(path)
        os.kill(endpoints.pid, 0)
    except (OSError, ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None
    return endpoints


def down(*, var_dir: Path, timeout_s: float = 30.0) -> bool:
    endpoints = running(var_dir)
    if endpoints is None:
        return False
    os.kill(endpoints.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    gone = threading.Event()
    while not gone.wait(0.1):
        try:
            os.kill(endpoints.pid, 0)
        except OSError:
            return True
        if time.monotonic() > deadline:
            os.kill(endpoints.pid, signal.SIGKILL)
            return True
    return True

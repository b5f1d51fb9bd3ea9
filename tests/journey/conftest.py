"""The whole kiosk on the real stack: pcscd + vpcd + virtual eID, ZVT simulator on a pty, SoftHSM2,
a private cupsd with cups-pdf, and the central server on loopback."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from devstack.sim import SimStack
from kiosk import app
from kiosk.config import KioskConfig, load_config
from kiosk.demo import _with_endpoints
from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState

REPO = Path(__file__).resolve().parents[2]


def lp_readable_dir(prefix: str) -> Path:
    """cups filters run as `lp`: the directory and its parents must be traversable by others."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def run_autoplay(
    var_dir: Path,
    *,
    sessions: int,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`python -m kiosk demo --autoplay` headless, with its state in `var_dir`."""
    env = {
        **os.environ,
        "BORNE_VAR_DIR": str(var_dir),
        "QT_QPA_PLATFORM": "offscreen",
        **(extra_env or {}),
    }
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", "--autoplay", "--sessions", str(sessions), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def var_dir() -> Iterator[Path]:
    path = lp_readable_dir("borne-journey-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(var_dir: Path) -> Iterator[SimStack]:
    with SimStack(var_dir=var_dir, persona="marie") as s:
        yield s


@pytest.fixture(scope="module")
def base_config(stack: SimStack, var_dir: Path) -> KioskConfig:
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(var_dir)})
    assert stack.endpoints is not None
    return _with_endpoints(config, stack.endpoints)


class Pump:
    """Runs the controller's continuations on the test thread, as the Qt bridge does on the UI thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def post(self, fn: Callable[[], None]) -> None:
        self.queue.put(fn)

    def until(
        self,
        controller: JourneyController,
        predicate: Callable[[JourneyView], bool],
        *,
        timeout: float = 30.0,
    ) -> JourneyView:
        deadline = time.monotonic() + timeout
        while not predicate(controller.view):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"journey stuck in {controller.view.state}")
            try:
                self.queue.get(timeout=min(remaining, 0.1))()
            except queue.Empty:
                continue
        return controller.view


@dataclass
class Rig:
    kiosk: app.Kiosk
    controller: JourneyController
    pump: Pump
    stack: SimStack

    def state(self, target: SessionState, *, timeout: float = 30.0) -> JourneyView:
        return self.pump.until(self.controller, lambda v: v.state is target, timeout=timeout)


@pytest.fixture
def rig(stack: SimStack, base_config: KioskConfig, request: pytest.FixtureRequest) -> Iterator[Rig]:
    """A wired kiosk; parametrize indirectly with a float to shorten the print-job time-out."""
    job_timeout = getattr(request, "param", None)
    config = base_config
    if job_timeout is not None:
        config = replace(
            config, printing=replace(config.printing, job_timeout_s=float(job_timeout))
        )
    assert stack.token is not None
    kiosk = app.build(
        config,
        token=stack.token,
        print_output=config.printing.output_dir,
        keep_issued=True,
    )
    rig = ready_rig(kiosk, stack)
    try:
        yield rig
    finally:
        if stack.card is not None:
            stack.card.remove()
        kiosk.stop()


def ready_rig(kiosk: app.Kiosk, stack: SimStack) -> Rig:
    """`kiosk` made ready, with a journey controller pumped by the test and fed its card events."""
    kiosk.ready()
    pump = Pump()
    controller = JourneyController(
        ports=kiosk.ports,
        settings=kiosk.settings,
        post=pump.post,
        clock=time.monotonic,
        ids=lambda: os.urandom(16).hex(),
        alerts=kiosk.alerts,
    )
    controller.on_change(kiosk.observe)
    controller.follow_devices()
    return Rig(kiosk=kiosk, controller=controller, pump=pump, stack=stack)

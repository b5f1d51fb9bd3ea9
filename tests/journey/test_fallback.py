"""The demo's in-process fallback: pcscd, cupsd and SoftHSM2 absent, a whole journey still completes.

The program lookup is patched so the three daemons look uninstalled: the virtual card sits in an
in-process reader, the seal key is the TEST PEM key, and printing writes files. The ZVT simulator
(pty) and the central server still run for real. `BORNE_REQUIRE_REAL_STACK=1` (CI) must refuse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import fallbacks
from devstack.fallbacks import SimStartError
from devstack.sim import SimStack
from kiosk import app
from kiosk.config import load_config
from kiosk.demo import _with_endpoints
from kiosk.journey import JourneyController
from kiosk.session import SessionState as S
from printing.verify import verify_pdf
from tests.journey.conftest import REPO, Pump, Rig, lp_readable_dir
from tests.journey.test_real_stack import finish, to_summary

pytestmark = [pytest.mark.serial, pytest.mark.central]

ABSENT = ["cups", "pcscd", "softhsm2"]


@pytest.fixture
def no_daemons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fallbacks, "missing_programs", lambda: list(ABSENT))
    monkeypatch.delenv(fallbacks.REQUIRE_REAL_ENV, raising=False)
    monkeypatch.delenv(fallbacks.FORCE_FALLBACK_ENV, raising=False)


@pytest.mark.usefixtures("no_daemons")
def test_missing_daemons_fall_back_and_say_so() -> None:
    plan = fallbacks.plan_fallbacks()
    assert [f.part for f in plan] == ["pcscd", "cupsd", "softhsm2"]
    assert all(not f.forced for f in plan)
    assert plan[0].announcement == (
        "pcscd not installed: the eID card is simulated in-process; "
        "run `make setup` for the real stack"
    )


@pytest.mark.usefixtures("no_daemons")
def test_the_real_stack_can_be_required(tmp_path: Path) -> None:
    with pytest.raises(SimStartError) as caught:
        fallbacks.plan_fallbacks(environ={fallbacks.REQUIRE_REAL_ENV: "1"})
    assert "missing cups, pcscd, softhsm2" in str(caught.value)
    assert "BORNE_REQUIRE_REAL_STACK=1" in str(caught.value)
    stack = SimStack(var_dir=tmp_path, require_real=True)
    with pytest.raises(SimStartError):
        stack.start()
    assert stack.central is None  # nothing was started


def test_fallbacks_can_be_forced_for_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fallbacks, "missing_programs", list)
    plan = fallbacks.plan_fallbacks(
        environ={fallbacks.FORCE_FALLBACK_ENV: "softhsm,cups"}, require_real=False
    )
    assert [(f.part, f.forced) for f in plan] == [("cupsd", True), ("softhsm2", True)]
    assert plan[0].announcement.startswith("cupsd bypassed (BORNE_FORCE_FALLBACK)")
    assert fallbacks.plan_fallbacks(environ={}, require_real=True) == ()
    with pytest.raises(SimStartError):
        fallbacks.plan_fallbacks(environ={fallbacks.FORCE_FALLBACK_ENV: "pcscd"}, require_real=True)
    with pytest.raises(SimStartError) as caught:
        fallbacks.plan_fallbacks(environ={fallbacks.FORCE_FALLBACK_ENV: "lpd"}, require_real=False)
    assert "unknown part lpd" in str(caught.value)


@pytest.fixture(scope="module")
def fallback_stack() -> Iterator[SimStack]:
    var_dir = lp_readable_dir("borne-fallback-")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fallbacks, "missing_programs", lambda: list(ABSENT))
        patch.delenv(fallbacks.REQUIRE_REAL_ENV, raising=False)
        patch.delenv(fallbacks.FORCE_FALLBACK_ENV, raising=False)
        with SimStack(var_dir=var_dir, persona="marie") as stack:
            yield stack
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture
def fallback_rig(fallback_stack: SimStack) -> Iterator[Rig]:
    stack = fallback_stack
    assert stack.endpoints is not None
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(stack.var_dir)})
    config = _with_endpoints(config, stack.endpoints)
    kiosk = app.build(
        config,
        token=stack.token,
        print_output=config.printing.output_dir,
        keep_issued=True,
        sealer_factory=stack.sealer_factory(location=config.commune.name),
        document_printer=stack.folder_printer,
    )
    kiosk.ready()
    pump = Pump()
    controller = JourneyController(
        ports=kiosk.ports,
        settings=kiosk.settings,
        post=pump.post,
        clock=time.monotonic,
        ids=lambda: os.urandom(16).hex(),
    )
    kiosk.ports.card.watch(lambda kind: pump.post(lambda: controller.card_event(kind)))
    try:
        yield Rig(kiosk=kiosk, controller=controller, pump=pump, stack=stack)
    finally:
        stack.remove_card()
        kiosk.stop()


def test_the_stack_records_what_runs_in_process(fallback_stack: SimStack) -> None:
    endpoints = fallback_stack.endpoints
    assert endpoints is not None
    assert endpoints.fallbacks == ("pcscd", "cupsd", "softhsm2")
    assert fallback_stack.pcscd is None
    assert fallback_stack.cupsd is None
    assert fallback_stack.token is None
    assert fallback_stack.terminal is not None  # the ZVT simulator on a pty is always real
    assert endpoints.central_url.startswith("https://127.0.0.1:")
    assert endpoints.reader_prefix == fallback_stack.reader_name


def test_a_paid_journey_completes_in_process(fallback_rig: Rig) -> None:
    to_summary(fallback_rig)
    fallback_rig.controller.confirm_summary()
    fallback_rig.state(S.TAKE_DOCUMENTS)
    finish(fallback_rig)

    (report,) = fallback_rig.controller.reports
    assert report.outcome == "completed"
    assert report.payment_status == "approved"
    (document_id,) = report.document_ids
    config = fallback_rig.kiosk.config
    sealed = config.var_dir / "spool" / f"{document_id}.pdf"
    check = verify_pdf(sealed.read_bytes(), trust_roots=[config.signing.trust_root])
    assert check.valid, check.reason
    assert check.document_id == document_id
    printer = fallback_rig.stack.folder_printer
    assert printer is not None
    printed = [Path(p) for p in report.pdf_paths]
    assert printed
    assert all(p.parent == printer.directory and p.is_file() for p in printed)


def test_card_pulled_out_before_payment_ends_the_session(fallback_rig: Rig) -> None:
    to_summary(fallback_rig)
    fallback_rig.stack.remove_card()
    view = fallback_rig.state(S.ATTRACT)
    assert view.selected == ()
    assert all(r.outcome != "completed" for r in fallback_rig.controller.reports)


@pytest.mark.ui
def test_autoplay_demo_with_every_fallback_forced() -> None:
    var_dir = lp_readable_dir("borne-fallback-demo-")
    env = {
        **os.environ,
        "BORNE_VAR_DIR": str(var_dir),
        "QT_QPA_PLATFORM": "offscreen",
        fallbacks.FORCE_FALLBACK_ENV: "pcscd,cupsd,softhsm2",
    }
    env.pop("DISPLAY", None)
    env.pop(fallbacks.REQUIRE_REAL_ENV, None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "demo", "--autoplay"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (line,) = [line for line in done.stdout.splitlines() if line.strip()]
        result = json.loads(line)
        assert result["outcome"] == "completed"
        assert result["fallbacks"] == ["pcscd", "cupsd", "softhsm2"]
        assert "pcscd bypassed (BORNE_FORCE_FALLBACK): the eID card is simulated" in done.stderr
        (printed,) = [Path(p) for p in result["printed_pdfs"]]
        assert printed.parent == var_dir / "run" / "print-out"
        (sealed,) = [Path(p) for p in result["sealed_pdfs"]]
        trust = var_dir / "pki" / "municipal" / "root.cert.pem"
        assert verify_pdf(sealed.read_bytes(), trust_roots=[trust]).valid
        log = (var_dir / "log" / "kiosk.jsonl").read_text(encoding="utf-8")
        assert '"event": "sim_fallback"' in log
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)

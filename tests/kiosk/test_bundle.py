"""The production bundle: built once from `kiosk.spec`, it runs and leaves the development stack out."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyInstaller.archive.readers import pkg_archive_contents

REPO = Path(__file__).resolve().parents[2]
LEFT_OUT = ("devstack", "hardware.simulators", "central")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dist/kiosk built from the spec into a temporary folder, once per test session.

    The work folder is the repository's `build/` that `make bundle` uses, so an unchanged tree
    reuses PyInstaller's cached analysis.
    """
    base = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={base / 'dist'}",
            f"--workpath={REPO / 'build'}",
            str(REPO / "kiosk.spec"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    yield base / "dist" / "kiosk"
    shutil.rmtree(base, ignore_errors=True)


def _modules(bundle: Path) -> set[str]:
    """Every entry of the executable's archive and of its embedded PYZ (modules by dotted name)."""
    return set(pkg_archive_contents(str(bundle / "kiosk"), recursive=True))


def test_bundle_carries_the_product_and_none_of_the_development_stack(bundle: Path) -> None:
    modules = _modules(bundle)
    assert {"kiosk.cli", "printing.token", "hardware.eid.reader", "ui.app"} <= modules
    leaked = sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in LEFT_OUT))
    assert leaked == []
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert not [f for f in files if "personas" in f or "demo_register" in f]


def test_bundle_runs_and_refuses_the_demo_commands_clearly(bundle: Path) -> None:
    version = subprocess.run(
        [str(bundle / "kiosk"), "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("borne ")
    demo = subprocess.run(
        [str(bundle / "kiosk"), "sim", "down"], capture_output=True, text=True, check=False
    )
    assert demo.returncode == 2
    assert "no development stack in this build" in demo.stderr

"""`python -m central screenshots --out DIR`: a real server with demo data, photographed by Chromium."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from central.console.browser import CHROMIUM

pytestmark = pytest.mark.central

_PAGES = (
    "login",
    "overview",
    "overview-offline",
    "kiosk-detail",
    "kiosk-offline",
    "alerts",
    "config",
    "enrollments",
    "records",
    "audit",
    "kiosk-config",
    "register-lookups",
)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
def test_the_command_writes_a_png_of_each_page(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    done = subprocess.run(
        [sys.executable, "-m", "central", "screenshots", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(_PAGES)
    for name in _PAGES:
        width, height = _png_size(out / f"{name}.png")
        assert width == 1360
        assert height >= 600

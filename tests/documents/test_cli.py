from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.hsm
REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "printing", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_render_then_verify(tmp_path: Path) -> None:
    out = tmp_path / "f.pdf"
    var = tmp_path / "var"
    rendered = _cli(
        "--var",
        str(var),
        "render",
        "--document",
        "household",
        "--lang",
        "fr",
        "--national-number",
        "85031412401",
        "--document-id",
        "2026-CLI-1",
        "--out",
        str(out),
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    checked = _cli("--var", str(var), "verify", str(out), "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["valid"] is True
    assert report["document_id"] == "2026-CLI-1"


def test_unknown_persona_needs_a_national_number(tmp_path: Path) -> None:
    result = _cli(
        "--var",
        str(tmp_path),
        "render",
        "--persona",
        "nobody-here",
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert result.returncode == 2


def test_render_by_persona(tmp_path: Path) -> None:
    out = tmp_path / "p.pdf"
    result = _cli("--var", str(tmp_path / "var"), "render", "--persona", "marie", "--out", str(out))
    if not (REPO / "hardware/simulators/eid/personas/marie.json").is_file():
        assert result.returncode == 2
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_bytes().startswith(b"%PDF")

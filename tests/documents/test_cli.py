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
        [sys.executable, "-m", "devstack", "documents", *args],
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


def _corruptions(sealed: bytes) -> dict[str, tuple[bytes, str]]:
    """Damaged copies of a sealed certificate and the verdict each must get."""
    body = bytearray(sealed)
    body[sealed.find(b"stream\n") + 40] ^= 0xFF
    seal = bytearray(sealed)
    start = sealed.find(b"/Contents <") + len(b"/Contents <")
    seal[start : start + 200] = b"0" * 200
    return {
        "tampered-content": (bytes(body), "documents.verify.altered"),
        "tampered-seal": (bytes(seal), "documents.verify.unreadable"),
        "truncated-half": (sealed[: len(sealed) // 2], "documents.verify.unreadable"),
        "truncated-tail": (sealed[:-200], "documents.verify.unreadable"),
        "garbage": (b"%PDF-1.7\n" + bytes(range(256)) * 8, "documents.verify.unreadable"),
        "empty": (b"", "documents.verify.unreadable"),
        "appended": (
            sealed + b"\n1 0 obj\n<< /Junk true >>\nendobj\n",
            "documents.verify.modified_after_seal",
        ),
    }


def test_verify_reports_damaged_files_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "f.pdf"
    var = tmp_path / "var"
    rendered = _cli(
        "--var",
        str(var),
        "render",
        "--national-number",
        "85031412401",
        "--document-id",
        "2026-CLI-2",
        "--out",
        str(out),
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    cases = _corruptions(out.read_bytes())
    for name, (content, _) in cases.items():
        (tmp_path / f"{name}.pdf").write_bytes(content)
    for name, (_, reason) in cases.items():
        path = str(tmp_path / f"{name}.pdf")
        line = _cli("--var", str(var), "verify", path)
        verdict = _cli("--var", str(var), "verify", path, "--json")
        for result in (line, verdict):
            assert "Traceback" not in result.stdout + result.stderr, name
            assert len(result.stdout.strip().splitlines()) == 1, (name, result.stdout)
        report = json.loads(verdict.stdout)
        assert report["reason"] == reason, (name, report)
        assert report["valid"] is False, name
        assert verdict.returncode == 1, name
        assert line.stdout.startswith("INVALID: "), (name, line.stdout)
        assert reason in line.stdout, name
        assert report["message"], name
        assert report["message"] != reason, name


def test_verify_missing_file_is_a_verdict_not_a_traceback(tmp_path: Path) -> None:
    result = _cli("--var", str(tmp_path / "var"), "verify", str(tmp_path / "absent.pdf"), "--json")
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report == report | {"valid": False, "reason": "documents.verify.unreadable"}
    assert result.returncode == 1

"""`python -m kiosk demo --autoplay`: scripted residents through the real screens and the real stack."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hardware.simulators.eid import load_persona, persona_pin
from printing.verify import verify_pdf
from tests.journey.conftest import lp_readable_dir, run_autoplay

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.slow,
]

SESSIONS = 20


@pytest.fixture(scope="module")
def demo_run() -> Iterator[tuple[dict[str, Any], Path, str]]:
    var_dir = lp_readable_dir("borne-demo-")
    done = run_autoplay(var_dir, sessions=SESSIONS)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(lines) == 1, done.stdout
    yield json.loads(lines[0]), var_dir, done.stderr
    shutil.rmtree(var_dir, ignore_errors=True)


def test_every_scripted_resident_completes(demo_run: tuple[dict[str, Any], Path, str]) -> None:
    result, _, _ = demo_run
    assert result["outcome"] == "completed"
    assert result["completed"] == SESSIONS
    assert len(result["journeys"]) == SESSIONS
    assert result["documents"] == ["household"]
    assert result["payment"]["status"] == "approved"
    assert set(result["steps_ms"]) >= {"read_holder", "verify_pin", "payment", "issue.household"}


def test_printed_pdfs_come_out_of_cups_pdf_and_the_handed_pdfs_carry_a_valid_seal(
    demo_run: tuple[dict[str, Any], Path, str],
) -> None:
    result, var_dir, _ = demo_run
    trust = var_dir / "pki" / "municipal" / "root.cert.pem"
    for journey in result["journeys"]:
        (printed,) = [Path(p) for p in journey["printed_pdfs"]]
        assert printed.is_file()
        assert printed.parent == var_dir / "run" / "cups" / "out"
        (sealed,) = [Path(p) for p in journey["sealed_pdfs"]]
        check = verify_pdf(sealed.read_bytes(), trust_roots=[trust])
        assert check.valid, check.reason
        assert check.trusted
        assert check.document_id == journey["document_ids"][0]


def test_the_worst_event_loop_stall_is_reported(
    demo_run: tuple[dict[str, Any], Path, str],
) -> None:
    # the 50 ms budget is a speed target, measured by `make bench` (bench/journey.py), not here
    result, _, _ = demo_run
    assert isinstance(result["max_event_loop_stall_ms"], int | float)
    assert result["max_event_loop_stall_ms"] >= 0


def test_logs_hold_neither_the_national_number_nor_the_pin(
    demo_run: tuple[dict[str, Any], Path, str],
) -> None:
    _, var_dir, stderr = demo_run
    national_number = load_persona("marie").national_number
    pin = persona_pin("marie")
    logs = [p.read_text(encoding="utf-8") for p in (var_dir / "log").glob("*")] + [stderr]
    assert logs
    nn_forms = {
        national_number,
        f"{national_number[:2]}.{national_number[2:4]}.{national_number[4:6]}-{national_number[6:9]}.{national_number[9:]}",
    }
    pin_value = re.compile(rf"(?<![0-9A-Za-z.:-]){re.escape(pin)}(?![0-9A-Za-z.])")
    for text in logs:
        for form in nn_forms:
            assert form not in text
        assert not pin_value.search(text)
    entries = [
        json.loads(line) for line in (var_dir / "log" / "kiosk.jsonl").read_text().splitlines()
    ]
    assert any(e.get("event") == "state_change" for e in entries)
    assert not any(k.lower() in {"pin", "pin_block", "pin_length"} for e in entries for k in e)

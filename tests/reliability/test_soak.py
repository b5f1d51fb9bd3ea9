"""A short `make soak`: a few dozen residents with every fault, through the real stack.

The same runner as `make soak` (`tests.reliability.soak`) in a child process: the warm-up, then
three rounds of faults (declines, terminal time-outs, a garbled line, NAKs, a card pulled out,
refused cards, a printer stopping after payment, the central down), then the leak check over the
last two rounds (after every path has loaded what it keeps once: over fewer residents the
allocator's own warm-up reads as a leak), the ledger (nothing paid or recorded lost, the central
holds each record once) and the PII scan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability import soak_faults

pytestmark = [
    pytest.mark.ui,
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]

REPO = Path(__file__).resolve().parents[2]
SESSIONS = 58


def test_a_short_soak_loses_nothing_leaks_nothing(tmp_path: Path) -> None:
    summary_file = tmp_path / "soak.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.soak",
            "--sessions",
            str(SESSIONS),
            "--summary",
            str(summary_file),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=560,
        check=False,
    )
    assert summary_file.exists(), done.stderr[-3000:]
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert summary["problems"] == [], done.stderr[-3000:]
    assert done.returncode == 0
    # the soak is not blind: every fault was injected and showed in the outcomes
    assert set(summary["faults_injected"]) == {f.value for f in soak_faults.Fault} - {"none"}
    outcomes = summary["outcomes"]
    assert outcomes["completed"] > SESSIONS // 2
    assert outcomes["declined"] >= 1
    assert outcomes["reversed"] >= 1
    ledger = summary["ledger"]
    assert ledger["approved"] >= 1
    assert ledger["central_records"] > 0
    assert summary["pii"]["stores_searched"] >= 3
    assert summary["samples"]["end"]["sessions"] == SESSIONS

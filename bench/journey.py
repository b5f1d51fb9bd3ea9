"""Whole journeys: scripted residents through the real screens and the real simulated stack.

Runs `python -m kiosk demo --autoplay --sessions N` in a fresh state folder and reports the median
time of a journey and of each step, and the worst event-loop stall (the UI thread's budget is 50 ms).
The card insertion itself (pcscd notices a card within about 0.4 s) is outside the steps.
"""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

from bench.common import Figure
from tests.journey.conftest import lp_readable_dir, run_autoplay

SESSIONS = 10
STALL_BUDGET_MS = 50.0
REPO = Path(__file__).resolve().parents[1]


def run() -> list[Figure]:
    var_dir = lp_readable_dir("borne-bench-journey-")
    try:
        done = run_autoplay(var_dir, sessions=SESSIONS)
        done.check_returncode()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    journeys = result["journeys"]
    figures = [
        Figure(
            name="journeys completed",
            value=float(result["completed"]),
            unit="count",
            note=f"of {SESSIONS}",
        ),
        Figure(
            name="journey median (touch to take documents, excluding card insertion)",
            value=statistics.median(sum(v for k, v in j["steps_ms"].items()) for j in journeys),
            unit="ms",
            note="sum of device steps",
        ),
    ]
    steps = sorted({k for j in journeys for k in j["steps_ms"]})
    for step in steps:
        values = [j["steps_ms"][step] for j in journeys if step in j["steps_ms"]]
        figures.append(
            Figure(name=f"step {step} median", value=statistics.median(values), unit="ms")
        )
    stall = float(result["max_event_loop_stall_ms"])
    figures.append(
        Figure(
            name="worst event-loop stall",
            value=stall,
            unit="ms",
            note=f"{stall / STALL_BUDGET_MS:.2f} × the 50 ms budget",
        )
    )
    return figures

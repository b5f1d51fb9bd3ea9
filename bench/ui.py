"""The resident UI: cold start, screen transitions, and memory over many scripted residents.

- **Cold start**: a fresh interpreter until the attract screen is painted, as a ratio to a fresh
  interpreter that only imports `PySide6.QtWidgets`, both measured from outside in the same run
  (target ≤ 8×). The devices are left out (the inert ports of the screenshots): this is the UI's
  own start-up, the devices' is in `bench/journey.py`.
- **Screen transitions**: `show_view` of each screen until its layout is settled and painted, on
  the portrait screen (target ≤ 100 ms each).
- **Memory**: resident memory (VmRSS) after 20 warm-up residents and after 500 more through the
  real widgets on the port fakes, the time limit of the scripted residents scaled to their number
  (target: growth ≤ 10 MB). The real stack's figures over the same count are `make soak`'s.

Runs offscreen (`QT_QPA_PLATFORM=offscreen`).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Figure

if TYPE_CHECKING:
    from kiosk.journey import JourneyController

REPO = Path(__file__).resolve().parents[1]
COLD_RUNS = 5
TRANSITION_ROUNDS = 5
WARMUP_SESSIONS = 20
SESSIONS = int(os.environ.get("BORNE_BENCH_UI_SESSIONS", "500"))
PORTRAIT = (1080, 1920)

_IMPORT_ONLY = "import PySide6.QtWidgets"
_TO_ATTRACT = """
import time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from kiosk.journey import JourneyController
from tests.core.fakes import make_settings
from ui.main_window import KioskWindow
from ui.screenshots import _Inert
controller = JourneyController(
    ports=_Inert(), settings=make_settings(), post=lambda _f: None,
    clock=time.monotonic, ids=lambda: "bench",
)
window = KioskWindow(controller)
window.ticker.stop()
window.resize(1080, 1920)
window.show()
app.processEvents()
assert not window.grab().isNull()
"""


def _wall_s(code: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)
    return time.perf_counter() - start


def _cold_start() -> list[Figure]:
    _wall_s(_IMPORT_ONLY)  # the page cache holds the libraries for both, as after a first boot
    _wall_s(_TO_ATTRACT)
    baseline = statistics.median(_wall_s(_IMPORT_ONLY) for _ in range(COLD_RUNS))
    attract = statistics.median(_wall_s(_TO_ATTRACT) for _ in range(COLD_RUNS))
    return [
        Figure(
            name="import PySide6.QtWidgets (fresh interpreter)", value=baseline * 1000, unit="ms"
        ),
        Figure(name="cold start to the attract screen", value=attract * 1000, unit="ms"),
        Figure(
            name="cold start / import QtWidgets",
            value=attract / baseline,
            unit="ratio",
            note="target ≤ 8",
        ),
    ]


def _transitions() -> list[Figure]:
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415 - Qt only once offscreen is set

    from kiosk.journey import PROMPT_KEYS, JourneyController  # noqa: PLC0415
    from tests.core.fakes import make_settings  # noqa: PLC0415
    from ui.main_window import KioskWindow  # noqa: PLC0415
    from ui.screenshots import _Inert, _sample  # noqa: PLC0415

    app = QApplication.instance() or QApplication([])
    controller = JourneyController(
        ports=_Inert(),  # type: ignore[arg-type]
        settings=make_settings(),
        post=lambda _f: None,
        clock=time.monotonic,
        ids=lambda: "bench",
    )
    window = KioskWindow(controller)
    window.ticker.stop()
    window.resize(*PORTRAIT)
    window.show()
    views = [_sample(dataclasses.replace(controller.view, language="fr"), s) for s in PROMPT_KEYS]
    # the window's first paint (fonts, the attract screen laid out) belongs to the cold start
    # above, not to a change of screen
    window.show_view(views[0])
    app.processEvents()
    window.repaint()
    samples: list[float] = []
    for _ in range(TRANSITION_ROUNDS):
        for view in views:
            start = time.perf_counter()
            window.show_view(view)
            app.processEvents()
            window.repaint()
            samples.append((time.perf_counter() - start) * 1000)
    window.close()
    window.deleteLater()
    app.processEvents()
    return [
        Figure(
            name="screen transition median",
            value=statistics.median(samples),
            unit="ms",
            note=f"{len(views)} screens × {TRANSITION_ROUNDS}",
        ),
        Figure(name="screen transition worst", value=max(samples), unit="ms", note="target ≤ 100"),
    ]


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _memory() -> list[Figure]:
    from tests.core.fakes import make_ports, make_settings  # noqa: PLC0415
    from ui.app import run_kiosk  # noqa: PLC0415
    from ui.autoplay import AutoplayScript  # noqa: PLC0415

    script = AutoplayScript(
        language="fr", pin="1234", documents=("household", "residence"), document_language="fr"
    )
    rss: list[int] = []
    outcomes: Counter[str] = Counter()
    wall_s = 0.0

    def count(controller: JourneyController, _quit: object) -> None:
        # every resident: the run's own result keeps only the controller's last reports
        controller.on_report(lambda report: outcomes.update([report.outcome]))

    with tempfile.TemporaryDirectory(prefix="borne-bench-ui-") as tmp:
        fakes = make_ports(threaded=True, directory=Path(tmp))
        try:
            for sessions in (WARMUP_SESSIONS, SESSIONS):
                start = time.perf_counter()
                run_kiosk(
                    ports=fakes.ports,
                    settings=make_settings(),
                    autoplay=script,
                    sessions=sessions,
                    insert_card=fakes.card.insert,
                    remove_card=fakes.card.remove,
                    autoplay_timeout_s=30.0,
                    on_start=count,
                )
                wall_s = time.perf_counter() - start
                fakes.printer.printed.clear()
                rss.append(_rss_kib())
        finally:
            fakes.completer.close()
    growth_mib = (rss[1] - rss[0]) / 1024
    return [
        Figure(
            name="residents completed",
            value=float(outcomes["completed"]),
            unit="count",
            note=f"of {WARMUP_SESSIONS + SESSIONS}",
        ),
        Figure(
            name=f"{SESSIONS} residents on the port fakes",
            value=wall_s,
            unit="s",
            note="wall time, the time limit scaled to the count",
        ),
        Figure(name=f"RSS after {WARMUP_SESSIONS} residents", value=rss[0] / 1024, unit="MiB"),
        Figure(name=f"RSS after {SESSIONS} more", value=rss[1] / 1024, unit="MiB"),
        Figure(name="RSS growth", value=growth_mib, unit="MiB", note="target ≤ 10"),
    ]


def run() -> list[Figure]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return [*_cold_start(), *_transitions(), *_memory()]

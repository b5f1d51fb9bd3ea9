"""`make bench`: run every benchmark module in bench/ and append their figures to bench/RESULTS.md.

Each benchmark is a module with `run() -> list[Figure]`; the figures are printed and written with the
date and the machine, so results from different days and machines can be compared side by side.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Figure

RESULTS = Path(__file__).with_name("RESULTS.md")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"
    )


def main(selected: list[str]) -> int:
    names = [
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name not in {"__main__", "common"} and (not selected or m.name in selected)
    ]
    stamp = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections: list[str] = []
    for name in sorted(names):
        module = importlib.import_module(f"bench.{name}")
        figures: list[Figure] = module.run()
        lines = [f"### {name} — {stamp}", "", f"Machine: {_machine()}", ""]
        lines += ["| figure | value | unit | note |", "|---|---|---|---|"]
        for fig in figures:
            lines.append(f"| {fig.name} | {fig.value:.3f} | {fig.unit} | {fig.note} |")
            print(f"{name}: {fig.name} = {fig.value:.3f} {fig.unit} {fig.note}")
        sections.append("\n".join(lines) + "\n")
    header = "# Benchmark results\n\nWritten by `make bench`; newest first.\n\n"
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else header
    body = previous[len(header) :] if previous.startswith(header) else previous
    RESULTS.write_text(header + "\n".join(sections) + "\n" + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

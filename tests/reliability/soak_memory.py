"""Where the soak's memory goes: anonymous against file-backed pages, the growth's slope once the
soak is warm, and (on request) the Python allocations that outlived the run (`tracemalloc`)."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = Path("/proc/self/status")


@dataclass(frozen=True, slots=True, kw_only=True)
class Resident:
    """This process's resident memory, in KiB, split as the kernel counts it."""

    total: int
    anon: int
    """Heap, stacks and anonymous maps: where a leak shows."""
    file: int
    """Pages of mapped files (libraries, fonts): they grow once as code paths are first run."""


def status() -> dict[str, str]:
    """This process's `/proc/self/status`, field by field."""
    lines = _STATUS.read_text(encoding="utf-8").splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def resident(fields: dict[str, str] | None = None) -> Resident:
    """From `fields` (a `status()` already read), else from a fresh read."""
    fields = status() if fields is None else fields

    def kib(name: str) -> int:
        return int(fields[name].split()[0]) if name in fields else 0

    return Resident(total=kib("VmRSS"), anon=kib("RssAnon"), file=kib("RssFile"))


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares growth per resident of (residents, KiB) points; 0 with fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


@dataclass(slots=True)
class Series:
    """The anonymous memory after each episode, to tell a steady leak from warm-up steps."""

    points: list[tuple[int, int]] = field(default_factory=list)

    def add(self, residents: int) -> None:
        self.points.append((residents, resident().anon))

    def late_slope(self) -> float:
        """KiB a resident over the second half of the soak."""
        if not self.points:
            return 0.0
        half = self.points[-1][0] / 2
        return slope([p for p in self.points if p[0] >= half])


@dataclass(slots=True)
class AllocationTrace:
    """Python allocations made after `start` and still alive at `report` (tracemalloc)."""

    frames: int = 12
    _before: tracemalloc.Snapshot | None = None

    def start(self) -> None:
        tracemalloc.start(self.frames)
        self._before = tracemalloc.take_snapshot()

    def report(self, *, top: int) -> list[str]:
        """The `top` growths by allocating traceback, largest first, one text block each."""
        if self._before is None:
            return []
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        noise = [tracemalloc.Filter(False, tracemalloc.__file__)]
        diffs = after.filter_traces(noise).compare_to(
            self._before.filter_traces(noise), "traceback"
        )
        total = sum(d.size_diff for d in diffs)
        lines = [f"traced growth {total / 1024:.0f} KiB in {len(diffs)} tracebacks"]
        for diff in diffs[:top]:
            if diff.size_diff <= 0:
                break
            where = " <- ".join(
                f"{Path(f.filename).name}:{f.lineno}" for f in reversed(diff.traceback)
            )
            lines.append(f"{diff.size_diff / 1024:+.0f} KiB, {diff.count_diff:+d} blocks: {where}")
        return lines

"""The soak's memory figures: the split the kernel reports, the late slope, the allocation trace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.reliability import soak_memory


@given(
    st.integers(min_value=-500, max_value=500),
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=40, unique=True),
)
def test_the_slope_of_a_line_is_its_rate(rate: int, base: int, xs: list[int]) -> None:
    points = [(x, base + rate * x) for x in xs]
    assert abs(soak_memory.slope(points) - rate) < 1e-6


def test_no_slope_from_one_point_or_one_count() -> None:
    assert soak_memory.slope([(3, 100)]) == 0.0
    assert soak_memory.slope([(3, 100), (3, 900)]) == 0.0


def test_the_late_slope_skips_the_warm_up_step() -> None:
    series = soak_memory.Series(points=[(0, 0), (10, 5000), (50, 5000), (100, 5100)])
    assert abs(series.late_slope() - 2.0) < 1e-9


def test_the_kernel_splits_the_resident_memory() -> None:
    now = soak_memory.resident()
    assert now.anon > 0
    assert now.file > 0
    assert now.anon + now.file <= now.total + 1  # the rest is shared memory


def test_the_trace_names_what_outlived_it() -> None:
    trace = soak_memory.AllocationTrace(frames=4)
    trace.start()
    kept = [bytearray(4096) for _ in range(256)]  # 1 MiB alive at the report
    lines = trace.report(top=3)
    assert len(kept) == 256
    assert lines[0].startswith("traced growth")
    assert "test_soak_memory.py" in lines[1]
    assert int(lines[1].split()[0].lstrip("+")) >= 1000

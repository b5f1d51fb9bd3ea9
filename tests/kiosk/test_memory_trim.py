"""Freed memory handed back to the system: glibc's malloc_trim, measured on this process."""

from __future__ import annotations

from pathlib import Path

from kiosk.adapters.memory import release_freed_memory

CHUNKS = 100_000
CHUNK = 1_000
"""100 MB in blocks above pymalloc's limit: each one comes from the C heap."""


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_freed_heap_goes_back_to_the_system() -> None:
    kept = [bytearray(CHUNK) for _ in range(CHUNKS)]
    last = kept.pop()  # the heap's top stays in use: only a trim gives back the pages below it
    kept.clear()
    before = _rss_kib()
    returned = release_freed_memory()
    after = _rss_kib()
    assert returned
    assert before - after > CHUNKS * CHUNK // 1024 // 2  # more than half of the freed 100 MB
    assert len(last) == CHUNK


def test_nothing_to_return_is_no_error() -> None:
    release_freed_memory()
    assert release_freed_memory() in (True, False)

"""Memory freed during a resident's session handed back to the system between residents.

glibc keeps the memory a process frees in its heaps for later reuse; over a day of residents the
documents drawn, the card files read and the screens' text layouts leave the resident set larger
than what the kiosk holds. `malloc_trim(0)` returns the free pages at the top and in the middle
of every heap. It is called after each session's report, when nobody waits on the screen; on a C
library without it (musl) nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None without it."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        log.info("memory_trim_unavailable")
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Hand the C heap's free pages back to the system; whether any were returned."""
    trim = _trim()
    return trim is not None and trim(0) == 1

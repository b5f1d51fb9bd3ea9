"""Personal data left by printing: swept at start-up and after every job.

A sealed certificate is personal data. While it prints, copies of it exist in the kiosk's spool
(`var/spool/<document id>.pdf`), in the CUPS request root (job files), in the CUPS temporary folder
(filter output) and in the cups-pdf spool. A job that completes removes them; an interrupted one
(crash, power cut, killed filter) leaves them behind. `sweep` removes every regular file from the
folders it is given (never the folders themselves, sockets, links or the CUPS job control files),
so nothing personal outlives the session that printed it. Only counts are logged.
"""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


_CUPS_CONTROL_FILE = re.compile(r"c\d+")
"""A CUPS job's control file (its state and attributes, no document): kept, so that recovery can
still ask what became of a job; `PreserveJobHistory` bounds how long."""


def sweep(directories: Iterable[Path], *, pattern: str = "*") -> int:
    """Remove the regular files matching `pattern` under each folder (CUPS job control files
    excepted); returns how many."""
    removed = 0
    for directory in directories:
        if not directory.is_dir() or directory.is_symlink():
            continue
        for path in directory.rglob(pattern):
            if not _CUPS_CONTROL_FILE.fullmatch(path.name):
                removed += _remove_file(path)
    if removed:
        log.info("print_leftovers_swept", extra={"files": removed})
    return removed


def _remove_file(path: Path) -> int:
    try:
        mode = path.lstat().st_mode
        if not stat.S_ISREG(mode):
            return 0
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError as err:
        log.warning("print_leftover_not_removed", extra={"errno": err.errno})
        return 0
    return 1

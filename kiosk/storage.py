"""The kiosk's own data on disk: room to write, sound SQLite stores, private permissions.

Three guards, each cheap enough to run before a resident pays or at start-up:

- `StorageGuard.check` measures the free space of the data and log folders and writes (then removes)
  a small probe file with `fsync`: below `min_free_bytes`, or when the probe cannot be written, the
  kiosk takes no new order, so the completion of an order and its outbox record always find room.
- `check_stores` verifies each SQLite store before it is opened (file header, `PRAGMA
  integrity_check`, and an empty file when the kiosk has used the store before — a marker file
  remembers that). A damaged store is moved aside with a timestamp, never deleted, and reported:
  the caller puts the kiosk out of service until staff have looked at it.
- `secure_tree` gives files holding keys or personal data mode 0600 (folders 0700); the process
  umask (`PRIVATE_UMASK`) keeps new files that way.

No personal data is logged here: paths, sizes and machine words only.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hardware.runner import DeviceRunner
from kiosk.flows.storage import KEY_STORAGE_FULL
from kiosk.ports import DeviceCheck

log = logging.getLogger(__name__)

PRIVATE_UMASK: Final = 0o077
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
DEFAULT_MIN_FREE_BYTES: Final = 64 * 1024 * 1024
PROBE_BYTES: Final = 64 * 1024
PROBE_NAME: Final = ".write-probe"
MARKER_NAME: Final = ".stores-seen.json"
SQLITE_HEADER: Final = b"SQLite format 3\x00"

STATE_READY: Final = "ready"
STATE_LOW_SPACE: Final = "low_space"
STATE_NOT_WRITABLE: Final = "not_writable"
KEY_ALERT_STORE_CORRUPT: Final = "out_of_service.reason.store_corrupt"
REASON_STORE_CORRUPT: Final = "store_corrupt"
ISSUED_STORE: Final = "issued.sqlite"
STAFF_AUDIT_STORE: Final = "staff_audit.sqlite"


# -- free space --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class StorageGuard:
    """Refuses new orders before the data or log folder is too full to record one."""

    directories: Sequence[Path]
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES
    probe_bytes: int = PROBE_BYTES

    def check(self) -> DeviceCheck:
        for directory in self.directories:
            state = self._check_one(directory)
            if state != STATE_READY:
                return DeviceCheck(ready=False, state=state, key=KEY_STORAGE_FULL)
        return DeviceCheck(ready=True, state=STATE_READY)

    def _check_one(self, directory: Path) -> str:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(directory).free
        except OSError as err:
            log.error("storage_unreadable", extra={"directory": str(directory), "errno": err.errno})
            return STATE_NOT_WRITABLE
        if free < self.min_free_bytes:
            log.warning(
                "storage_low",
                extra={
                    "directory": str(directory),
                    "free_bytes": free,
                    "min_free_bytes": self.min_free_bytes,
                },
            )
            return STATE_LOW_SPACE
        probe = directory / PROBE_NAME
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                written = os.write(fd, b"\x00" * self.probe_bytes)
                os.fsync(fd)
            finally:
                os.close(fd)
            if written != self.probe_bytes:
                return STATE_NOT_WRITABLE
        except OSError as err:
            log.warning(
                "storage_not_writable", extra={"directory": str(directory), "errno": err.errno}
            )
            return STATE_NOT_WRITABLE
        finally:
            probe.unlink(missing_ok=True)
        return STATE_READY


class StorageAdapter:
    """`StoragePort` over a `StorageGuard`, on a runner of its own (the checks touch the disk)."""

    def __init__(self, *, runner: DeviceRunner, guard: StorageGuard) -> None:
        self._runner = runner
        self._guard = guard

    def check(self) -> Future[DeviceCheck]:
        return self._runner.submit(self._guard.check)


# -- SQLite stores -----------------------------------------------------------------------------
class StoreProblem(enum.StrEnum):
    EMPTY = "empty"
    """Zero bytes, though the kiosk has written to this store before."""
    NOT_SQLITE = "not_sqlite"
    CORRUPT = "corrupt"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True, kw_only=True)
class DamagedStore:
    path: Path
    problem: StoreProblem
    moved_to: Path | None


def kiosk_stores(*, journal: Path, outbox: Path) -> tuple[Path, ...]:
    """Every SQLite store of the kiosk: the payment journal, the outbox, the issuance rows and
    the staff audit (the last two beside the journal), in the order they are checked."""
    return (journal, outbox, journal.parent / ISSUED_STORE, journal.parent / STAFF_AUDIT_STORE)


def _probe_store(path: Path, *, seen_before: bool) -> StoreProblem | None:
    if not path.exists():
        return None
    try:
        size = path.stat().st_size
        if size == 0:
            return StoreProblem.EMPTY if seen_before else None
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError:
        return StoreProblem.UNREADABLE
    if header != SQLITE_HEADER:
        return StoreProblem.NOT_SQLITE
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            rows = db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return StoreProblem.CORRUPT
    if [tuple(r) for r in rows] != [("ok",)]:
        return StoreProblem.CORRUPT
    return None


def _quarantine(path: Path, *, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    path.replace(target)
    return target


def _read_marker(marker: Path) -> set[str]:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(name) for name in data} if isinstance(data, list) else set()


def _write_marker(marker: Path, names: Iterable[str]) -> None:
    temporary = marker.with_name(marker.name + ".tmp")
    try:
        temporary.write_text(json.dumps(sorted(set(names))), encoding="utf-8")
        temporary.chmod(FILE_MODE)
        temporary.replace(marker)
    except OSError as err:
        log.error("store_marker_not_written", extra={"path": str(marker), "errno": err.errno})


def check_stores(
    paths: Sequence[Path], *, marker: Path, now: datetime | None = None
) -> tuple[DamagedStore, ...]:
    """Check every store before it is opened; move damaged ones aside and return them.

    A sound store that exists is remembered in `marker`, so that a later empty file is taken for
    what it is: a store that lost its records.
    """
    seen = _read_marker(marker)
    damaged: list[DamagedStore] = []
    moment = now or datetime.now(tz=UTC)
    for path in paths:
        problem = _probe_store(path, seen_before=str(path) in seen)
        if problem is None:
            if path.exists() and path.stat().st_size > 0:
                seen.add(str(path))
            continue
        moved: Path | None
        try:
            moved = _quarantine(path, now=moment)
        except OSError as err:
            log.error("store_not_moved_aside", extra={"path": str(path), "errno": err.errno})
            moved = None
        log.error(
            "store_damaged",
            extra={
                "path": str(path),
                "problem": problem.value,
                "moved_to": str(moved) if moved else None,
            },
        )
        damaged.append(DamagedStore(path=path, problem=problem, moved_to=moved))
    _write_marker(marker, seen)
    return tuple(damaged)


# -- permissions -------------------------------------------------------------------------------
def secure_tree(directories: Iterable[Path]) -> int:
    """Mode 0700 on each folder and its sub-folders, 0600 on every file in them; returns how many
    entries changed. Symbolic links are left alone."""
    changed = 0
    for top in directories:
        if not top.is_dir() or top.is_symlink():
            continue
        for root, dirs, files in os.walk(top):
            base = Path(root)
            changed += _chmod(base, DIR_MODE)
            for name in files:
                changed += _chmod(base / name, FILE_MODE)
            dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
    return changed


def secure_file(path: Path) -> int:
    return _chmod(path, FILE_MODE) if path.is_file() and not path.is_symlink() else 0


def _chmod(path: Path, mode: int) -> int:
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
        if stat.S_ISLNK(path.lstat().st_mode) or current == mode:
            return 0
        path.chmod(mode)
    except OSError as err:
        log.warning("permissions_not_set", extra={"path": str(path), "errno": err.errno})
        return 0
    return 1

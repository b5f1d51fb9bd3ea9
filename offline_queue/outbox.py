"""The kiosk's durable outbox: messages waiting to be delivered to the central server.

One SQLite file in WAL mode with `synchronous=FULL`: a row is on disk once `enqueue` returns, even
across a power cut. Every write runs in `BEGIN IMMEDIATE`. Rows move through the states of
`OutboxState`, following `TRANSITIONS`, which is the one place where the allowed moves are declared.

Threading: an `Outbox` is confined to one owner thread, the kiosk's sync thread. It may be built
on any thread; the first thread that calls one of its methods becomes the owner, and a call from any
other thread raises `OutboxError`. Other threads hand their work to the owner thread (for example
through `hardware.runner.DeviceRunner.submit`). A second process or thread may open its own
`Outbox` on the same file (WAL and the busy timeout make that safe), but the product keeps one
writer.

At open, rows left `IN_FLIGHT` by a crash go back to `PENDING`: the server de-duplicates on
`operation_id`, so sending them again is safe.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from pydantic import BaseModel

from offline_queue.errors import OutboxError

logger = logging.getLogger(__name__)


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED_PERMANENT = "failed_permanent"


TRANSITIONS: Final[Mapping[OutboxState, frozenset[OutboxState]]] = {
    OutboxState.PENDING: frozenset({OutboxState.IN_FLIGHT}),
    OutboxState.IN_FLIGHT: frozenset(
        {OutboxState.DONE, OutboxState.PENDING, OutboxState.FAILED_PERMANENT}
    ),
    OutboxState.DONE: frozenset(),
    OutboxState.FAILED_PERMANENT: frozenset({OutboxState.PENDING}),
}
"""Allowed state changes of an outbox row (`from -> {to}`)."""


def sources_of(target: OutboxState) -> tuple[OutboxState, ...]:
    """The states from which a row may move to `target`, per `TRANSITIONS`."""
    return tuple(state for state, targets in TRANSITIONS.items() if target in targets)


_MIGRATIONS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        operation_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
    """,
)
SCHEMA_VERSION: Final = len(_MIGRATIONS)
"""Version of the outbox database schema; one ordered migration per version."""

BUSY_TIMEOUT_S: Final = 5.0
MAX_ERROR_CHARS: Final = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    id: int
    operation_id: str
    kind: str
    payload_json: str
    state: OutboxState
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: str


_COLUMNS: Final = (
    "id, operation_id, kind, payload_json, state, attempts, next_attempt_at, last_error, created_at"
)


def _row(values: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=values["id"],
        operation_id=values["operation_id"],
        kind=values["kind"],
        payload_json=values["payload_json"],
        state=OutboxState(values["state"]),
        attempts=values["attempts"],
        next_attempt_at=values["next_attempt_at"],
        last_error=values["last_error"],
        created_at=values["created_at"],
    )


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds")


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


class Outbox:
    """Durable queue of messages for the central server, keyed by `operation_id`."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._owner: int | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as err:
            raise OutboxError("cannot open the outbox", params={"path": str(path)}) from err
        self._db.row_factory = sqlite3.Row
        try:
            self._configure()
            self._migrate()
            recovered = self._recover_in_flight()
        except (sqlite3.Error, OutboxError) as err:
            self._db.close()
            if isinstance(err, OutboxError):
                raise
            raise OutboxError("cannot prepare the outbox", params={"path": str(path)}) from err
        self._owner = None  # the first thread that uses the outbox owns it
        logger.info(
            "outbox opened",
            extra={"path": str(path), "recovered_in_flight": recovered, "schema": SCHEMA_VERSION},
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _configure(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise OutboxError("the outbox needs WAL mode", params={"mode": str(mode)})
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")

    def _migrate(self) -> None:
        with self._write():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise OutboxError(
                    "the outbox was written by a newer version",
                    params={"found": str(version), "supported": str(SCHEMA_VERSION)},
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number:d}")
                logger.info("outbox migrated", extra={"schema": number})

    def _recover_in_flight(self) -> int:
        with self._write():
            return self._move(
                target=OutboxState.PENDING,
                where="state = ?",
                params=(OutboxState.IN_FLIGHT.value,),
            )

    def _confine(self) -> None:
        """Bind the outbox to the first thread that uses it; refuse every other thread."""
        current = threading.get_ident()
        if self._owner is None:
            self._owner = current
        elif self._owner != current:
            raise OutboxError(
                "the outbox is used from a thread that does not own it",
                params={"thread": threading.current_thread().name},
            )

    @contextmanager
    def _write(self) -> Iterator[None]:
        self._confine()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _move(
        self,
        *,
        target: OutboxState,
        where: str,
        params: tuple[object, ...],
        extra_set: str = "",
        extra_params: tuple[object, ...] = (),
    ) -> int:
        """Move the rows matching `where` to `target`, only from states `TRANSITIONS` allows."""
        sources = sources_of(target)
        sql = (
            f"UPDATE outbox SET state = ?, updated_at = ?{extra_set} "  # noqa: S608
            f"WHERE ({where}) AND state IN ({_placeholders(len(sources))})"
        )
        cursor = self._db.execute(
            sql,
            (target.value, _now_iso(), *extra_params, *params, *(s.value for s in sources)),
        )
        return cursor.rowcount

    # -- API -----------------------------------------------------------------------------------

    def enqueue(self, *, operation_id: str, kind: str, payload: BaseModel) -> bool:
        """Store a message durably. Returns False when `operation_id` was already queued."""
        now = _now_iso()
        try:
            with self._write():
                cursor = self._db.execute(
                    "INSERT INTO outbox (operation_id, kind, payload_json, state, attempts,"
                    " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?)"
                    " ON CONFLICT(operation_id) DO NOTHING",
                    (
                        operation_id,
                        kind,
                        payload.model_dump_json(),
                        OutboxState.PENDING.value,
                        now,
                        now,
                    ),
                )
        except sqlite3.Error as err:
            raise OutboxError("cannot write to the outbox", params={"kind": kind}) from err
        added = cursor.rowcount == 1
        logger.info(
            "outbox enqueue",
            extra={"operation_id": operation_id, "kind": kind, "duplicate": not added},
        )
        return added

    def claim(self, limit: int) -> list[OutboxRow]:
        """Take up to `limit` due PENDING rows, oldest first, and mark them IN_FLIGHT."""
        if limit < 1:
            return []
        try:
            with self._write():
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND next_attempt_at <= ?"  # noqa: S608
                    " ORDER BY id LIMIT ?",
                    (OutboxState.PENDING.value, self._clock(), limit),
                ).fetchall()
                ids = tuple(row["id"] for row in rows)
                if ids:
                    self._move(
                        target=OutboxState.IN_FLIGHT,
                        where=f"id IN ({_placeholders(len(ids))})",
                        params=ids,
                        extra_set=", attempts = attempts + 1",
                    )
        except sqlite3.Error as err:
            raise OutboxError("cannot claim outbox rows") from err
        return [
            replace(_row(row), state=OutboxState.IN_FLIGHT, attempts=row["attempts"] + 1)
            for row in rows
        ]

    def mark_done(self, operation_ids: Iterable[str]) -> int:
        """The server has these messages. Returns how many rows changed."""
        ids = tuple(operation_ids)
        if not ids:
            return 0
        try:
            with self._write():
                changed = self._move(
                    target=OutboxState.DONE,
                    where=f"operation_id IN ({_placeholders(len(ids))})",
                    params=ids,
                    extra_set=", last_error = NULL",
                )
        except sqlite3.Error as err:
            raise OutboxError("cannot update the outbox") from err
        return changed

    def mark_failed(self, operation_id: str, *, error: str, retry_at: float | None) -> bool:
        """Delivery failed. Retry at `retry_at` (epoch seconds), or never when it is None."""
        target = OutboxState.FAILED_PERMANENT if retry_at is None else OutboxState.PENDING
        try:
            with self._write():
                changed = self._move(
                    target=target,
                    where="operation_id = ?",
                    params=(operation_id,),
                    extra_set=", last_error = ?, next_attempt_at = ?",
                    extra_params=(error[:MAX_ERROR_CHARS], retry_at or 0.0),
                )
        except sqlite3.Error as err:
            raise OutboxError("cannot update the outbox") from err
        level = logging.ERROR if retry_at is None else logging.INFO
        logger.log(
            level,
            "outbox delivery failed",
            extra={"operation_id": operation_id, "error": error, "retry_at": retry_at},
        )
        return changed == 1

    def retry_failed(self) -> int:
        """Give every FAILED_PERMANENT row another chance (an operator's action)."""
        with self._write():
            return self._move(
                target=OutboxState.PENDING,
                where="state = ?",
                params=(OutboxState.FAILED_PERMANENT.value,),
                extra_set=", next_attempt_at = 0",
            )

    def prune_done(self, *, older_than: datetime) -> int:
        """Forget DONE rows last updated before `older_than` (the server keeps them)."""
        with self._write():
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE state = ? AND updated_at < ?",
                (
                    OutboxState.DONE.value,
                    older_than.astimezone(UTC).isoformat(timespec="milliseconds"),
                ),
            )
        return cursor.rowcount

    def pending_count(self) -> int:
        """Messages not yet delivered (PENDING or IN_FLIGHT)."""
        self._confine()
        row = self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state IN (?, ?)",
            (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value),
        ).fetchone()
        return int(row[0])

    def oldest_pending_at(self) -> datetime | None:
        """When the oldest undelivered message was queued; None when nothing waits."""
        self._confine()
        row = self._db.execute(
            "SELECT MIN(created_at) FROM outbox WHERE state IN (?, ?)",
            (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value),
        ).fetchone()
        return None if row[0] is None else datetime.fromisoformat(row[0])

    def counts(self) -> dict[OutboxState, int]:
        self._confine()
        result = dict.fromkeys(OutboxState, 0)
        for state, count in self._db.execute(
            "SELECT state, COUNT(*) FROM outbox GROUP BY state"
        ).fetchall():
            result[OutboxState(state)] = int(count)
        return result

    def next_due_at(self) -> float | None:
        """When the earliest PENDING row becomes due (epoch seconds), None when nothing waits."""
        self._confine()
        row = self._db.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = ?",
            (OutboxState.PENDING.value,),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def undelivered(self, kind: str, *, limit: int) -> list[OutboxRow]:
        """The oldest rows of `kind` not delivered yet (PENDING or IN_FLIGHT), in queue order."""
        self._confine()
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE kind = ? AND state IN (?, ?)"  # noqa: S608
            " ORDER BY id LIMIT ?",
            (kind, OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value, limit),
        ).fetchall()
        return [_row(row) for row in rows]

    def get(self, operation_id: str) -> OutboxRow | None:
        self._confine()
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE operation_id = ?",  # noqa: S608
            (operation_id,),
        ).fetchone()
        return None if row is None else _row(row)

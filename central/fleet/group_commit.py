"""Writers of one kind that queue behind each other share one transaction (group commit).

Each heartbeat is a handful of statements; under load most of a request's time was spent waiting
for SQLite's write lock, then opening and committing a transaction of its own (on PostgreSQL:
checking out a connection, beginning, committing, each a round trip). Here the first writer to
take the group's lock (the leader) commits the work of every writer queued behind it in one
transaction; the others find their work done when the lock comes to them and return its result.
A failure in a shared transaction (a bad piece, a deadlock between two server processes) rolls
it all back and the leader runs each piece of work again in a transaction of its own, so one bad
piece fails only its own writer. Measured with `bench/fleet.py` on both databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

import sqlalchemy as sa

from central.fleet.base import FleetDb

T = TypeVar("T")
BATCH_MAX: Final = 64
"""Pieces of work in one transaction at most (bounds how long the lock is held)."""


@dataclass(slots=True)
class _Slot(Generic[T]):
    work: Callable[[sa.Connection], T]
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T]):
    """`run(work)` calls `work(connection)` inside a transaction shared with queued writers."""

    def __init__(self, db: FleetDb, *, what: str, durable: bool) -> None:
        self._db = db
        self._what = what
        self._durable = durable
        self._queue: list[_Slot[T]] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()
        self.transactions = 0
        """Transactions committed (for the tests and the bench: fewer than the writers)."""

    @property
    def waiting(self) -> int:
        """Writers queued for the next transaction (a gauge: the backlog behind the leader)."""
        with self._queue_lock:
            return len(self._queue)

    @property
    def leading(self) -> bool:
        """A writer is committing a batch now."""
        return self._leader.locked()

    def run(self, work: Callable[[sa.Connection], T]) -> T:
        slot: _Slot[T] = _Slot(work)
        with self._queue_lock:
            self._queue.append(slot)
        while not slot.done.is_set():
            with self._leader:
                if slot.done.is_set():
                    break
                with self._queue_lock:
                    batch, self._queue = self._queue[:BATCH_MAX], self._queue[BATCH_MAX:]
                self._commit(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # set before done, unless error is

    def _commit(self, batch: list[_Slot[T]]) -> None:
        try:
            with self._db.write(self._what, durable=self._durable) as connection:
                results = [slot.work(connection) for slot in batch]
        except Exception:  # noqa: BLE001 - rolled back: each piece again, alone
            for slot in batch:
                self._alone(slot)
            return
        self.transactions += 1
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
            slot.done.set()

    def _alone(self, slot: _Slot[T]) -> None:
        try:
            with self._db.write(self._what, durable=self._durable) as connection:
                slot.result = slot.work(connection)
            self.transactions += 1
        except Exception as err:  # noqa: BLE001 - re-raised in its own writer's thread
            slot.error = err
        slot.done.set()

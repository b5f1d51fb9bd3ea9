"""Group commit on both databases: writers queued behind the leader share one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from central.db import create_engine
from central.errors import StoreError
from central.fleet.base import FleetDb
from central.fleet.group_commit import GroupCommit

WRITERS = 6
_META = sa.MetaData()
ROWS = sa.Table(
    "rows",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("writer", sa.String, nullable=False),
)


@pytest.fixture
def db(db_url: str) -> Iterator[FleetDb]:
    engine = create_engine(db_url)
    _META.create_all(engine)
    yield FleetDb(engine, clock=lambda: 0.0)
    engine.dispose()


def _stored(db: FleetDb) -> dict[int, str]:
    with db.read("rows") as connection:
        return {row.id: row.writer for row in connection.execute(sa.select(ROWS))}


def _queued(group: GroupCommit[int], count: int) -> None:
    """Until `count` writers wait behind the leader (a bounded wait, not a timed assertion)."""
    for _ in range(2000):
        if group.waiting >= count:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} writers never queued")


def _leading(group: GroupCommit[int]) -> None:
    """Until a leader holds the lock (a bounded wait)."""
    for _ in range(2000):
        if group.leading:
            return
        threading.Event().wait(0.005)
    raise AssertionError("no leader")


def _insert(row_id: int, writer: str) -> Callable[[sa.Connection], int]:
    def work(connection: sa.Connection) -> int:
        connection.execute(sa.insert(ROWS).values(id=row_id, writer=writer))
        return row_id

    return work


def test_queued_writers_share_one_transaction_and_each_gets_its_result(db: FleetDb) -> None:
    group: GroupCommit[int] = GroupCommit(db, what="rows", durable=False)
    gate = threading.Event()
    results: dict[str, int] = {}

    def held(connection: sa.Connection) -> int:
        connection.execute(sa.insert(ROWS).values(id=0, writer="leader"))
        gate.wait(10.0)  # the leader holds the lock while the others queue
        return 0

    leader = threading.Thread(target=lambda: results.update(leader=group.run(held)))
    leader.start()
    _leading(group)
    others = [
        threading.Thread(
            target=lambda i=i: results.update({f"w{i}": group.run(_insert(i, f"w{i}"))})
        )
        for i in range(1, WRITERS)
    ]
    for thread in others:
        thread.start()
    _queued(group, WRITERS - 1)
    gate.set()
    for thread in (leader, *others):
        thread.join(10.0)
    assert results == {"leader": 0, **{f"w{i}": i for i in range(1, WRITERS)}}
    assert _stored(db) == {0: "leader", **{i: f"w{i}" for i in range(1, WRITERS)}}
    assert group.transactions == 2  # the leader's own, then the five queued behind it together


def test_a_failing_writer_fails_alone(db: FleetDb) -> None:
    group: GroupCommit[int] = GroupCommit(db, what="rows", durable=False)
    assert group.run(_insert(7, "first")) == 7
    gate = threading.Event()
    errors: list[BaseException] = []
    done: list[int] = []

    def held(connection: sa.Connection) -> int:
        gate.wait(10.0)
        return -1

    def call(work: Callable[[sa.Connection], int]) -> None:
        try:
            done.append(group.run(work))
        except StoreError as err:
            errors.append(err)

    leader = threading.Thread(target=call, args=(held,))
    leader.start()
    _leading(group)
    writers = [
        threading.Thread(target=call, args=(_insert(8, "good"),)),
        threading.Thread(target=call, args=(_insert(7, "duplicate"),)),  # id 7 is taken
        threading.Thread(target=call, args=(_insert(9, "good too"),)),
    ]
    for thread in writers:
        thread.start()
    _queued(group, 3)
    gate.set()
    for thread in (leader, *writers):
        thread.join(10.0)
    assert sorted(done) == [-1, 8, 9]
    assert len(errors) == 1
    assert isinstance(errors[0].__cause__, sa.exc.IntegrityError)
    assert _stored(db) == {7: "first", 8: "good", 9: "good too"}

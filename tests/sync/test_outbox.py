"""Unit tests of the SQLite outbox (no server)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from offline_queue.errors import OutboxError
from offline_queue.outbox import SCHEMA_VERSION, TRANSITIONS, Outbox, OutboxState, sources_of
from tests.sync.conftest import FakeClock
from tests.sync.factories import issuance_record

KIND = "issuance_record"


def _enqueue(outbox: Outbox, operation_id: str) -> bool:
    record = issuance_record(kiosk_id="k1", operation_id=operation_id)
    return outbox.enqueue(operation_id=operation_id, kind=KIND, payload=record)


def test_transition_table_is_closed_and_done_is_final() -> None:
    assert set(TRANSITIONS) == set(OutboxState)
    assert TRANSITIONS[OutboxState.DONE] == frozenset()
    assert sources_of(OutboxState.IN_FLIGHT) == (OutboxState.PENDING,)
    assert set(sources_of(OutboxState.PENDING)) == {
        OutboxState.IN_FLIGHT,
        OutboxState.FAILED_PERMANENT,
    }


def test_database_is_wal_full_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    with Outbox(path):
        pass
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    with Outbox(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(OutboxError) as caught:
        Outbox(path)
    assert caught.value.params["found"] == str(SCHEMA_VERSION + 1)


def test_enqueue_is_idempotent_on_operation_id(outbox: Outbox) -> None:
    assert _enqueue(outbox, "op-1") is True
    assert _enqueue(outbox, "op-1") is False
    assert outbox.pending_count() == 1


def test_claim_takes_oldest_due_rows_and_marks_them_in_flight(outbox: Outbox) -> None:
    for n in range(5):
        _enqueue(outbox, f"op-{n}")
    claimed = outbox.claim(3)
    assert [row.operation_id for row in claimed] == ["op-0", "op-1", "op-2"]
    assert all(row.state is OutboxState.IN_FLIGHT and row.attempts == 1 for row in claimed)
    assert [row.operation_id for row in outbox.claim(10)] == ["op-3", "op-4"]
    assert outbox.claim(10) == []
    assert outbox.pending_count() == 5


def test_done_rows_leave_the_queue(outbox: Outbox) -> None:
    _enqueue(outbox, "op-1")
    _enqueue(outbox, "op-2")
    outbox.claim(10)
    assert outbox.mark_done(["op-1"]) == 1
    assert outbox.mark_done(["op-1"]) == 0  # DONE is final
    assert outbox.pending_count() == 1
    assert outbox.counts()[OutboxState.DONE] == 1


def test_failed_rows_wait_until_retry_time(outbox: Outbox, clock: FakeClock) -> None:
    _enqueue(outbox, "op-1")
    outbox.claim(1)
    assert outbox.mark_failed("op-1", error="boom", retry_at=clock.now + 30)
    assert outbox.claim(1) == []
    assert outbox.next_due_at() == clock.now + 30
    clock.advance(30)
    (row,) = outbox.claim(1)
    assert row.attempts == 2
    assert row.last_error == "boom"


def test_permanent_failure_stops_retries_until_an_operator_acts(outbox: Outbox) -> None:
    _enqueue(outbox, "op-1")
    outbox.claim(1)
    outbox.mark_failed("op-1", error="rejected: 422", retry_at=None)
    assert outbox.claim(1) == []
    assert outbox.pending_count() == 0
    row = outbox.get("op-1")
    assert row is not None
    assert row.state is OutboxState.FAILED_PERMANENT
    assert outbox.retry_failed() == 1
    assert [r.operation_id for r in outbox.claim(1)] == ["op-1"]


def test_a_pending_row_cannot_jump_to_done(outbox: Outbox) -> None:
    _enqueue(outbox, "op-1")
    assert outbox.mark_done(["op-1"]) == 0
    row = outbox.get("op-1")
    assert row is not None
    assert row.state is OutboxState.PENDING


def test_in_flight_rows_come_back_after_reopen(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "o.sqlite3"
    with Outbox(path, clock=clock) as box:
        _enqueue(box, "op-1")
        assert len(box.claim(1)) == 1
    with Outbox(path, clock=clock) as box:
        row = box.get("op-1")
        assert row is not None
        assert row.state is OutboxState.PENDING
        (again,) = box.claim(1)
        assert again.attempts == 2


def test_rows_survive_a_killed_process(tmp_path: Path) -> None:
    """A process that enqueues, claims and dies without closing leaves a recoverable outbox."""
    path = tmp_path / "o.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, pathlib
        from offline_queue.outbox import Outbox
        from tests.sync.factories import issuance_record
        box = Outbox(pathlib.Path({str(path)!r}))
        for n in range(3):
            rec = issuance_record(kiosk_id="k1", operation_id=f"op-{{n}}")
            box.enqueue(operation_id=rec.operation_id, kind="issuance_record", payload=rec)
        box.claim(2)
        os._exit(9)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        check=False,
        timeout=60,
    )
    assert result.returncode == 9
    with Outbox(path) as box:
        assert box.counts()[OutboxState.PENDING] == 3
        assert [r.attempts for r in box.claim(10)] == [2, 2, 1]


def test_the_outbox_belongs_to_the_first_thread_that_uses_it(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")  # built here, used by the owner thread below
    owner_result: list[int] = []

    def owner() -> None:
        _enqueue(box, "op-1")
        owner_result.append(box.pending_count())

    thread = threading.Thread(target=owner)
    thread.start()
    thread.join(timeout=10)
    assert owner_result == [1]
    with pytest.raises(OutboxError):
        box.pending_count()
    box.close()


def test_done_rows_are_pruned_after_retention(outbox: Outbox) -> None:
    _enqueue(outbox, "op-1")
    _enqueue(outbox, "op-2")
    outbox.claim(1)
    outbox.mark_done(["op-1"])
    assert outbox.prune_done(older_than=datetime.now(tz=UTC) - timedelta(days=1)) == 0
    assert outbox.prune_done(older_than=datetime.now(tz=UTC) + timedelta(seconds=1)) == 1
    assert outbox.get("op-1") is None
    assert outbox.get("op-2") is not None

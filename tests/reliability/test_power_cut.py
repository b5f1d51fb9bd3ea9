"""Power cuts and damaged stores.

A power cut is a crash-consistent snapshot: the writer (a separate process recording payments and
outbox messages as the kiosk does) is frozen with SIGSTOP at random moments, the database and its
-wal and -shm files are copied, and the writer goes on. Each copy must pass the start-up check and
hold every row whose commit the writer had reported.

A damaged store (zero bytes after the kiosk has used it, not SQLite, a corrupted page, a truncated
file) is found at start-up, moved aside with a timestamp, logged, and puts the kiosk out of service.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hardware.payment.errors import UnknownPayment
from hardware.payment.journal import PaymentJournal
from kiosk import app
from kiosk.config import load_config
from kiosk.storage import (
    ISSUED_STORE,
    MARKER_NAME,
    REASON_STORE_CORRUPT,
    STAFF_AUDIT_STORE,
    StoreProblem,
    check_stores,
)
from offline_queue.outbox import Outbox
from offline_queue.wire import DayCounters

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = 8
SEED = 20261202
STORES = ("payments.sqlite", "outbox.sqlite")


def _snapshot(live: Path, into: Path) -> None:
    into.mkdir()
    for name in STORES:
        for suffix in ("", "-wal", "-shm"):
            source = live / (name + suffix)
            if source.exists():
                shutil.copyfile(source, into / (name + suffix))


def _committed_rows(folder: Path, *, upto: int) -> tuple[list[int], list[int]]:
    """Which of the references 0..upto the journal and the outbox of `folder` hold."""
    journal = PaymentJournal(folder / "payments.sqlite")
    in_journal: list[int] = []
    in_outbox: list[int] = []
    try:
        with Outbox(folder / "outbox.sqlite") as outbox:
            for n in range(upto + 1):
                reference = f"op-{n:05d}"
                try:
                    journal.get(reference)
                    in_journal.append(n)
                except UnknownPayment:
                    pass
                if outbox.get(reference) is not None:
                    in_outbox.append(n)
    finally:
        journal.close()
    return in_journal, in_outbox


def test_power_cut_snapshots_are_sound_and_hold_every_committed_row(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    live = tmp_path / "live"
    live.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.store_writer", str(live), "1000000"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert writer.stdout is not None
    committed = -1
    taken: list[tuple[Path, int]] = []
    try:
        for i in range(SNAPSHOTS):
            target = committed + rng.randint(1, 60)
            while committed < target:
                line = writer.stdout.readline()
                assert line, "the writer stopped"
                committed = int(line)
            os.kill(writer.pid, signal.SIGSTOP)
            _, status = os.waitpid(writer.pid, os.WUNTRACED)
            assert os.WIFSTOPPED(status)
            snapshot = tmp_path / f"cut-{i}"
            _snapshot(live, snapshot)
            os.kill(writer.pid, signal.SIGCONT)
            taken.append((snapshot, committed))
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    for snapshot, upto in taken:
        marker = snapshot / MARKER_NAME
        marker.write_text(json.dumps([str(snapshot / name) for name in STORES]))
        assert check_stores([snapshot / name for name in STORES], marker=marker) == ()
        in_journal, in_outbox = _committed_rows(snapshot, upto=upto)
        assert in_journal == list(range(upto + 1)), snapshot.name
        assert in_outbox == list(range(upto + 1)), snapshot.name


# -- damaged stores ----------------------------------------------------------------------------
def _outbox_with_rows(path: Path, rows: int) -> None:
    with Outbox(path) as outbox:
        for n in range(rows):
            outbox.enqueue(
                operation_id=f"op-{n:05d}",
                kind="day_counters",
                payload=DayCounters(day=date(2026, 12, 2), documents=n),
            )
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _corrupt_page(path: Path) -> None:
    """Scribble over the start of one b-tree page (not the file header page), as a torn write."""
    page = 4096
    with path.open("r+b") as handle:
        handle.seek(3 * page)
        handle.write(b"\x13\x37" * 100)


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2 + 123)


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7 this is not a database\n" * 20)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_corrupt_page, StoreProblem.CORRUPT),
        (_truncate, StoreProblem.CORRUPT),
        (_not_sqlite, StoreProblem.NOT_SQLITE),
        (_empty, StoreProblem.EMPTY),
    ],
    ids=["corrupted_page", "truncated", "not_sqlite", "zero_length"],
)
def test_a_damaged_outbox_is_moved_aside_and_reported(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    damage: object,
    problem: StoreProblem,
) -> None:
    outbox = tmp_path / "outbox.sqlite"
    marker = tmp_path / MARKER_NAME
    _outbox_with_rows(outbox, 400)
    assert check_stores([outbox], marker=marker) == (), "a sound store passes"
    assert callable(damage)
    damage(outbox)
    caplog.set_level(logging.INFO)
    moment = datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC)
    (found,) = check_stores([outbox], marker=marker, now=moment)
    assert found.problem is problem
    assert not outbox.exists()
    assert found.moved_to == tmp_path / "outbox.sqlite.corrupt-20261202T010203000000Z"
    assert found.moved_to.exists(), "the damaged file is kept for staff, never deleted"
    (line,) = [r for r in caplog.records if r.getMessage() == "store_damaged"]
    assert vars(line)["problem"] == problem.value
    # the next start finds a fresh, empty store and no longer the damaged one
    with Outbox(outbox) as fresh:
        assert fresh.pending_count() == 0


def test_an_empty_store_is_fine_on_the_first_start_only(tmp_path: Path) -> None:
    journal = tmp_path / "payments.sqlite"
    marker = tmp_path / MARKER_NAME
    journal.write_bytes(b"")
    assert check_stores([journal], marker=marker) == ()
    PaymentJournal(journal).create(reference="op-1", amount_cents=250)
    assert check_stores([journal], marker=marker) == ()
    journal.write_bytes(b"")
    for side in (
        journal.with_name(journal.name + "-wal"),
        journal.with_name(journal.name + "-shm"),
    ):
        side.unlink(missing_ok=True)
    (found,) = check_stores([journal], marker=marker)
    assert found.problem is StoreProblem.EMPTY


def test_the_kiosk_starts_out_of_service_on_a_damaged_journal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(REPO / "var" / "pki" / "card", tmp_path / "pki" / "card")
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(tmp_path)})
    journal = config.payment.journal
    journal.parent.mkdir(parents=True)
    PaymentJournal(journal).create(reference="op-unsettled", amount_cents=250)
    kiosk = app.build(config, token=None, sealer_factory=lambda: pytest.fail("no seal needed"))
    try:
        assert kiosk.check_disk() == []  # remembers that the journal was in use
        _not_sqlite(journal)
        caplog.set_level(logging.INFO)
        alerts = kiosk.check_disk()
    finally:
        kiosk.stop()
    assert [a.reason for a in alerts] == [REASON_STORE_CORRUPT]
    assert list(journal.parent.glob("payments.sqlite.corrupt-*"))
    events = [r.getMessage() for r in caplog.records]
    assert "kiosk_store_quarantined" in events
    assert not [r for r in caplog.records if r.exc_info], "reported, not a raw traceback"


@pytest.mark.parametrize("store", [ISSUED_STORE, STAFF_AUDIT_STORE])
@pytest.mark.parametrize("damage", [_not_sqlite, _empty], ids=["not_sqlite", "zero_length"])
def test_a_damaged_store_is_moved_aside_before_the_kiosk_opens_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, store: str, damage: object
) -> None:
    """The issuance rows and the staff audit are opened when the kiosk is built: they are checked
    before that, as the journal and the outbox are, and never read damaged."""
    shutil.copytree(REPO / "var" / "pki" / "card", tmp_path / "pki" / "card")
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(tmp_path)})
    path = config.payment.journal.parent / store
    for _ in range(2):  # the first start makes the store, the second remembers it in use
        kiosk = app.build(config, token=None, sealer_factory=lambda: pytest.fail("no seal"))
        try:
            assert kiosk.check_disk() == []
        finally:
            kiosk.stop()
    assert path.stat().st_size > 0
    assert callable(damage)
    damage(path)
    caplog.set_level(logging.INFO)
    kiosk = app.build(config, token=None, sealer_factory=lambda: pytest.fail("no seal"))
    try:
        alerts = kiosk.check_disk()
        again = kiosk.check_disk()
    finally:
        kiosk.stop()
    assert [a.reason for a in alerts] == [REASON_STORE_CORRUPT]
    assert again == [], "reported once"
    (moved,) = path.parent.glob(f"{store}.corrupt-*")
    assert moved.read_bytes()[:4] in (b"%PDF", b""), "the damaged file is kept as it was"
    assert path.read_bytes()[:16] == b"SQLite format 3\x00", "a fresh store in its place"
    events = [vars(r) for r in caplog.records if r.getMessage() == "kiosk_store_quarantined"]
    assert [e["store"] for e in events] == [store]

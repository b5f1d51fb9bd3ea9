"""The staff audit's book on both databases: two server processes (two fleet services on one
database) taking the same tampered batch at once open the alert once, and mail it once through a
REAL SMTP server; the breaks and the chain's state are kept per kiosk."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.staff_audit import StaffAuditBook
from kiosk.staff_audit import StaffAuditLog
from offline_queue.wire import StaffAuditAck, StaffAuditBatch, StaffAuditEvent
from tests.central.fleet.conftest import Mailbox, make_fleet
from tests.sync.conftest import FakeClock


def _events(folder: Path, kiosk_id: str, count: int) -> list[StaffAuditEvent]:
    log = StaffAuditLog(folder / f"{kiosk_id}.sqlite", kiosk_id=kiosk_id)
    for index in range(count):
        log.record(
            actor="code-a1a1a1a1a1a1",
            role="technician",
            action="login_accepted",
            detail={"n": str(index)},
        )
    events = list(log.events())
    log.close()
    return events


@pytest.fixture
def two_servers(
    db_url: str, clock: FakeClock, mailbox: Mailbox
) -> Iterator[tuple[StaffAuditBook, StaffAuditBook]]:
    made = [
        make_fleet(
            db_url,
            clock,
            smtp_host=mailbox.host,
            smtp_port=mailbox.port,
            alert_recipients={"*": ("ops@commune.example",)},
        )
        for _ in range(2)
    ]
    for fleet, _ in made:
        fleet.start()
    try:
        yield StaffAuditBook(made[0][0]), StaffAuditBook(made[1][0])
    finally:
        for fleet, store in made:
            fleet.stop()
            store.close()


def test_two_servers_taking_the_same_broken_batch_open_and_mail_the_alert_once(
    two_servers: tuple[StaffAuditBook, StaffAuditBook],
    mailbox: Mailbox,
    kiosk_id: str,
    tmp_path: Path,
) -> None:
    first, second = two_servers
    events = _events(tmp_path, kiosk_id, 4)
    assert first.ingest(StaffAuditBatch(kiosk_id=kiosk_id, events=tuple(events[:2]))).chain_ok
    broken = StaffAuditBatch(kiosk_id=kiosk_id, events=(events[3],))  # 3 never came
    start = threading.Barrier(4)
    answers: list[StaffAuditAck] = []
    lock = threading.Lock()

    def send(book: StaffAuditBook) -> None:
        start.wait()
        answer = book.ingest(broken)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send, args=(book,)) for book in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 4
    assert all(not a.chain_ok for a in answers)
    assert sorted(len(a.accepted) for a in answers) == [0, 0, 0, 1]  # stored once
    assert [b.kind for b in first.breaks(kiosk_id)] == ["sequence_gap"]
    service = first._fleet
    alerts = service.list_alerts(kiosk_id=kiosk_id, limit=10).alerts
    assert [(a.kind, a.detail) for a in alerts] == [("audit_chain_broken", "seq=4 sequence_gap")]
    mailbox.wait_for(lambda ms: any(kiosk_id in str(m["Subject"]) for m in ms))
    assert [kiosk_id in s for s in mailbox.subjects()].count(True) == 1


def test_the_chain_state_is_per_kiosk(
    two_servers: tuple[StaffAuditBook, StaffAuditBook], kiosk_id: str, tmp_path: Path
) -> None:
    book, _ = two_servers
    other = f"{kiosk_id}-b"
    good = _events(tmp_path, kiosk_id, 3)
    bad = _events(tmp_path, other, 3)
    assert book.ingest(StaffAuditBatch(kiosk_id=kiosk_id, events=tuple(good))).chain_ok
    changed = bad[0].model_copy(update={"detail": {"n": "changed"}})
    answer = book.ingest(StaffAuditBatch(kiosk_id=other, events=(changed, bad[1], bad[2])))
    assert (answer.accepted, answer.chain_ok) == ((1, 2, 3), False)
    assert book.page(kiosk_id).chain_ok
    page = book.page(other)
    assert page.breaks == ((2, "wrong_previous_hash"),)
    assert [e.seq for e in page.events] == [3, 2, 1]
    stored = book.stored(other)
    assert [(s.seq, s.breaks) for s in stored] == [(3, ()), (2, ("wrong_previous_hash",)), (1, ())]

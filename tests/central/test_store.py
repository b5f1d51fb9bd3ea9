"""The central store on both back-ends: exactly-once records, pages, heartbeats, migrations."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from central.db import current_revision, head_revision
from central.store import MAX_PAGE, SqlCentralStore
from offline_queue.wire import Heartbeat, IssuanceRecord, RecordBatch
from tests.sync.factories import issuance_record

AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


def _batch(kiosk_id: str, *records: object) -> RecordBatch:
    return RecordBatch.model_validate(
        {"batch_id": f"b-{uuid.uuid4().hex[:8]}", "kiosk_id": kiosk_id, "records": records}
    )


def _heartbeat(kiosk_id: str, *, backlog: int = 0) -> Heartbeat:
    return Heartbeat(kiosk_id=kiosk_id, version="1.0", sent_at=AT, outbox_backlog=backlog)


def test_the_schema_is_at_the_newest_revision(store: SqlCentralStore) -> None:
    assert current_revision(store.engine) == head_revision()
    store.check()


def test_a_second_store_on_the_same_database_does_not_migrate_again(db_url: str) -> None:
    first = SqlCentralStore(db_url)
    second = SqlCentralStore(db_url)
    try:
        record = issuance_record(kiosk_id="k1")
        first.add_records(_batch("k1", record), received_at=AT)
        assert [s.record for s in second.list_records(kiosk_id="k1").records] == [record]
    finally:
        first.close()
        second.close()


def test_a_record_is_stored_once_however_often_it_is_sent(store: SqlCentralStore) -> None:
    record = issuance_record(kiosk_id="k1", document_ids=("D-1", "D-2"))
    first = store.add_records(_batch("k1", record), received_at=AT)
    again = store.add_records(_batch("k1", record), received_at=AT)

    assert first.accepted == (record.operation_id,)
    assert again.accepted == ()
    assert again.duplicates == (record.operation_id,)
    page = store.list_records(kiosk_id="k1")
    assert [s.record for s in page.records] == [record]
    issue = store.find_document("D-2")
    assert issue is not None
    assert issue.kiosk_id == "k1"
    assert issue.document_type == "residence_certificate"
    assert issue.issued_at == AT


def test_a_document_reported_when_sealed_and_again_with_the_outcome_is_no_warning(
    store: SqlCentralStore, caplog: pytest.LogCaptureFixture
) -> None:
    sealed = issuance_record(kiosk_id="k1", document_ids=("D-7",))
    completed = issuance_record(kiosk_id="k1", document_ids=("D-7",))
    assert sealed.operation_id != completed.operation_id
    with caplog.at_level(logging.INFO, logger="central.store"):
        store.add_records(_batch("k1", sealed), received_at=AT)
        ack = store.add_records(_batch("k1", completed), received_at=AT)
    assert ack.accepted == (completed.operation_id,)
    assert [r.levelname for r in caplog.records if r.name == "central.store"] == []
    issue = store.find_document("D-7")
    assert issue is not None
    assert issue.kiosk_id == "k1"


def test_concurrent_senders_of_one_batch_store_it_once(store: SqlCentralStore) -> None:
    records = [issuance_record(kiosk_id="k1") for _ in range(20)]
    batch = _batch("k1", *records)
    acks = []
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        acks.append(store.add_records(batch, received_at=AT))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    accepted = [op for ack in acks for op in ack.accepted]
    assert sorted(accepted) == sorted(r.operation_id for r in records)
    assert len(store.list_records(kiosk_id="k1", limit=MAX_PAGE).records) == len(records)


def test_records_are_paged_in_sequence(store: SqlCentralStore) -> None:
    records = [issuance_record(kiosk_id="k1") for _ in range(7)]
    store.add_records(_batch("k1", *records), received_at=AT)
    store.add_records(_batch("k2", issuance_record(kiosk_id="k2")), received_at=AT)

    seen: list[IssuanceRecord] = []
    after = 0
    while True:
        page = store.list_records(kiosk_id="k1", after=after, limit=3)
        seen.extend(s.record for s in page.records)
        assert len(page.records) <= 3
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == records


def test_the_page_size_is_capped(store: SqlCentralStore) -> None:
    store.add_records(_batch("k1", issuance_record(kiosk_id="k1")), received_at=AT)
    assert len(store.list_records(limit=10 * MAX_PAGE).records) == 1
    assert len(store.list_records(limit=0).records) == 1


def test_the_last_heartbeat_of_each_kiosk_is_kept(store: SqlCentralStore) -> None:
    store.record_heartbeat(_heartbeat("k1", backlog=3), received_at=AT)
    store.record_heartbeat(_heartbeat("k1", backlog=0), received_at=AT + timedelta(minutes=1))

    (status,) = store.list_kiosks().kiosks
    assert status.kiosk_id == "k1"
    assert status.heartbeat.outbox_backlog == 0
    assert status.received_at == AT + timedelta(minutes=1)


def test_kiosks_are_paged_by_id(store: SqlCentralStore) -> None:
    ids = [f"kiosk-{n:02d}" for n in range(5)]
    for kiosk_id in reversed(ids):
        store.record_heartbeat(_heartbeat(kiosk_id), received_at=AT)

    first = store.list_kiosks(limit=2)
    assert [k.kiosk_id for k in first.kiosks] == ids[:2]
    assert first.next_after == ids[1]
    second = store.list_kiosks(after=first.next_after, limit=2)
    assert [k.kiosk_id for k in second.kiosks] == ids[2:4]
    last = store.list_kiosks(after=second.next_after, limit=2)
    assert [k.kiosk_id for k in last.kiosks] == ids[4:]
    assert last.next_after is None


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_every_kiosk_is_listed_once_across_pages(store: SqlCentralStore, limit: int) -> None:
    ids = sorted(f"k-{uuid.uuid4().hex[:6]}" for _ in range(5))
    for kiosk_id in ids:
        store.record_heartbeat(_heartbeat(kiosk_id), received_at=AT)
    listed: list[str] = []
    after: str | None = None
    while True:
        page = store.list_kiosks(after=after, limit=limit)
        listed.extend(k.kiosk_id for k in page.kiosks)
        if page.next_after is None:
            break
        after = page.next_after
    assert listed == ids

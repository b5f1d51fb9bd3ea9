"""Outbox → sender → REAL central server on loopback."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from central.process import RunningCentral, start_central
from offline_queue.client import CentralClient
from offline_queue.errors import CentralUnauthorized, CentralUnavailable, SyncError
from offline_queue.outbox import Outbox, OutboxState
from offline_queue.sender import BackoffPolicy, OutboxSender, enqueue_issuance
from offline_queue.wire import IssuanceRecord, RecordBatch
from tests.sync.conftest import FakeClock, list_records, make_client
from tests.sync.factories import issuance_record

pytestmark = pytest.mark.central


def _enqueue(outbox: Outbox, record: IssuanceRecord) -> None:
    assert enqueue_issuance(outbox, record)


def _last_error(sender: OutboxSender) -> SyncError | None:
    return sender.last_error


def _sender(outbox: Outbox, client: CentralClient, clock: FakeClock) -> OutboxSender:
    return OutboxSender(
        outbox=outbox,
        client=client,
        clock=clock,
        batch_size=10,
        policy=BackoffPolicy(base_s=2.0, cap_s=60.0),
        rng=random.Random(7),
    )


def test_enqueued_record_reaches_the_server(
    outbox: Outbox, client: CentralClient, clock: FakeClock, central: RunningCentral, kiosk_id: str
) -> None:
    record = issuance_record(kiosk_id=kiosk_id)
    _enqueue(outbox, record)

    assert _sender(outbox, client, clock).run_once() == 1

    assert outbox.pending_count() == 0
    stored = list_records(central.url, kiosk_id).records
    assert [s.record for s in stored] == [record]


def test_many_records_go_in_batches(
    outbox: Outbox, client: CentralClient, clock: FakeClock, central: RunningCentral, kiosk_id: str
) -> None:
    records = [issuance_record(kiosk_id=kiosk_id) for _ in range(25)]
    for record in records:
        _enqueue(outbox, record)
    sender = _sender(outbox, client, clock)

    assert [sender.run_once() for _ in range(2)] == [10, 10]
    assert sender.drain() == 5

    stored = list_records(central.url, kiosk_id).records
    assert [s.record.operation_id for s in stored] == [r.operation_id for r in records]


def test_a_resent_batch_is_counted_once(
    client: CentralClient, central: RunningCentral, kiosk_id: str
) -> None:
    first, second = issuance_record(kiosk_id=kiosk_id), issuance_record(kiosk_id=kiosk_id)
    ack1 = client.post_records(RecordBatch(batch_id="b1", kiosk_id=kiosk_id, records=(first,)))
    ack2 = client.post_records(
        RecordBatch(batch_id="b2", kiosk_id=kiosk_id, records=(first, second))
    )

    assert ack1.accepted == (first.operation_id,)
    assert ack2.accepted == (second.operation_id,)
    assert ack2.duplicates == (first.operation_id,)
    assert len(list_records(central.url, kiosk_id).records) == 2


def test_a_lost_acknowledgement_is_harmless(
    tmp_path: Path, client: CentralClient, clock: FakeClock, central: RunningCentral, kiosk_id: str
) -> None:
    """The kiosk crashed after sending but before marking DONE: it sends again at start-up."""
    path = tmp_path / "o.sqlite3"
    record = issuance_record(kiosk_id=kiosk_id)
    with Outbox(path, clock=clock) as box:
        _enqueue(box, record)
        assert len(box.claim(1)) == 1
        client.post_records(RecordBatch(batch_id="b", kiosk_id=kiosk_id, records=(record,)))
    with Outbox(path, clock=clock) as box:
        assert _sender(box, client, clock).run_once() == 1
        assert box.pending_count() == 0
    assert len(list_records(central.url, kiosk_id).records) == 1


def test_server_down_backs_off_keeps_the_record_and_delivers_later(
    tmp_path: Path, outbox: Outbox, clock: FakeClock, kiosk_id: str
) -> None:
    db = tmp_path / "central.sqlite3"
    first = start_central(db_path=db)
    port = urlsplit(first.url).port
    assert port is not None
    client = make_client(first, kiosk_id)  # enrolled while the server is up
    first.stop()

    record = issuance_record(kiosk_id=kiosk_id)
    _enqueue(outbox, record)
    with client:
        sender = _sender(outbox, client, clock)
        assert sender.run_once() == 0
        assert isinstance(_last_error(sender), CentralUnavailable)
        row = outbox.get(record.operation_id)
        assert row is not None
        assert row.state is OutboxState.PENDING
        assert row.attempts == 1
        assert clock.now + 1.0 <= row.next_attempt_at <= clock.now + 2.0

        # Not due yet: nothing is sent, nothing is lost.
        assert sender.run_once() == 0
        assert outbox.pending_count() == 1

        # Second failure: the wait doubles.
        clock.advance(2.0)
        assert sender.run_once() == 0
        row = outbox.get(record.operation_id)
        assert row is not None
        assert row.attempts == 2
        assert clock.now + 2.0 <= row.next_attempt_at <= clock.now + 4.0

        with start_central(db_path=db, port=port) as second:
            assert second.url == first.url
            clock.advance(4.0)
            assert sender.run_once() == 1
            assert _last_error(sender) is None
            assert [s.record for s in list_records(second.url, kiosk_id).records] == [record]
    assert outbox.pending_count() == 0


def test_a_wrong_token_is_retried_not_dropped(
    outbox: Outbox, clock: FakeClock, central: RunningCentral, kiosk_id: str
) -> None:
    record = issuance_record(kiosk_id=kiosk_id)
    _enqueue(outbox, record)
    with CentralClient(
        base_url=central.url, kiosk_id=kiosk_id, token="wrong", timeout=5.0
    ) as client:
        sender = _sender(outbox, client, clock)
        assert sender.run_once() == 0
        assert isinstance(sender.last_error, CentralUnauthorized)
    row = outbox.get(record.operation_id)
    assert row is not None
    assert row.state is OutboxState.PENDING


def test_a_record_that_cannot_be_sent_does_not_block_the_others(
    outbox: Outbox, client: CentralClient, clock: FakeClock, central: RunningCentral, kiosk_id: str
) -> None:
    good = issuance_record(kiosk_id=kiosk_id)
    foreign = issuance_record(kiosk_id="another-kiosk")  # not this kiosk's record
    _enqueue(outbox, foreign)
    _enqueue(outbox, good)

    assert _sender(outbox, client, clock).run_once() == 1

    refused = outbox.get(foreign.operation_id)
    assert refused is not None
    assert refused.state is OutboxState.FAILED_PERMANENT
    assert [s.record for s in list_records(central.url, kiosk_id).records] == [good]


def test_an_unreadable_row_is_set_aside(
    outbox: Outbox, client: CentralClient, clock: FakeClock, kiosk_id: str
) -> None:
    outbox.enqueue(
        operation_id="op-other", kind="something_else", payload=issuance_record(kiosk_id=kiosk_id)
    )
    assert _sender(outbox, client, clock).run_once() == 0
    row = outbox.get("op-other")
    assert row is not None
    assert row.state is OutboxState.FAILED_PERMANENT

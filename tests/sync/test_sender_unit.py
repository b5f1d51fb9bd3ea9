"""Pure unit tests of the sender's backoff and poison handling, and of the client's helpers."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.national_number import mask_national_number
from offline_queue.client import CentralClient, parse_retry_after
from offline_queue.errors import CentralRejected, CentralUnavailable, NotInRegister
from offline_queue.outbox import Outbox, OutboxState
from offline_queue.sender import (
    ISSUANCE_RECORD_KIND,
    BackoffPolicy,
    OutboxSender,
    backoff_delay,
)
from offline_queue.wire import BatchAck, RecordBatch
from tests.sync.conftest import FakeClock
from tests.sync.factories import issuance_record

KIOSK = "kiosk-unit"


class ScriptedSink:
    """A record sink that refuses chosen operations and can fail or forget acknowledgements."""

    def __init__(self) -> None:
        self.kiosk_id = KIOSK
        self.poison: set[str] = set()
        self.unavailable: CentralUnavailable | None = None
        self.forget: set[str] = set()
        self.batches: list[tuple[str, ...]] = []

    def post_records(self, batch: RecordBatch) -> BatchAck:
        ids = tuple(r.operation_id for r in batch.records)
        self.batches.append(ids)
        if self.unavailable is not None:
            raise self.unavailable
        if self.poison & set(ids):
            raise CentralRejected("refused", status=422, code="request.invalid")
        return BatchAck(
            batch_id=batch.batch_id, accepted=tuple(i for i in ids if i not in self.forget)
        )


def _fill(outbox: Outbox, count: int) -> list[str]:
    ids = []
    for n in range(count):
        record = issuance_record(kiosk_id=KIOSK, operation_id=f"op-{n}")
        outbox.enqueue(operation_id=record.operation_id, kind=ISSUANCE_RECORD_KIND, payload=record)
        ids.append(record.operation_id)
    return ids


def _sender(outbox: Outbox, sink: ScriptedSink, clock: FakeClock) -> OutboxSender:
    return OutboxSender(
        outbox=outbox,
        client=sink,
        clock=clock,
        policy=BackoffPolicy(base_s=2.0, cap_s=60.0),
        rng=random.Random(1),
    )


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_then_stays_under_the_cap(attempts: int, seed: int) -> None:
    policy = BackoffPolicy(base_s=2.0, cap_s=600.0)
    delay = backoff_delay(attempts, policy=policy, rng=random.Random(seed))
    ceiling = min(600.0, 2.0 * 2 ** max(attempts - 1, 0)) if attempts < 40 else 600.0
    assert ceiling / 2 <= delay <= ceiling


def test_poison_record_is_isolated(outbox: Outbox, clock: FakeClock) -> None:
    ids = _fill(outbox, 4)
    sink = ScriptedSink()
    sink.poison = {"op-2"}

    assert _sender(outbox, sink, clock).run_once() == 3

    assert sink.batches[0] == tuple(ids)
    assert sorted(sink.batches[1:]) == [(i,) for i in ids]
    poisoned = outbox.get("op-2")
    assert poisoned is not None
    assert poisoned.state is OutboxState.FAILED_PERMANENT
    assert outbox.pending_count() == 0


def test_retry_after_from_the_server_is_honoured(outbox: Outbox, clock: FakeClock) -> None:
    _fill(outbox, 1)
    sink = ScriptedSink()
    sink.unavailable = CentralUnavailable("busy", retry_after=120.0)
    sender = _sender(outbox, sink, clock)

    assert sender.run_once() == 0
    row = outbox.get("op-0")
    assert row is not None
    assert row.next_attempt_at == clock.now + 120.0

    sink.unavailable = None
    clock.advance(119.0)
    assert sender.run_once() == 0
    clock.advance(1.0)
    assert sender.run_once() == 1


def test_an_unacknowledged_record_is_sent_again(outbox: Outbox, clock: FakeClock) -> None:
    _fill(outbox, 2)
    sink = ScriptedSink()
    sink.forget = {"op-1"}
    sender = _sender(outbox, sink, clock)

    assert sender.run_once() == 1
    sink.forget = set()
    clock.advance(60.0)
    assert sender.run_once() == 1
    assert sink.batches == [("op-0", "op-1"), ("op-1",)]


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("99999") == 3600.0
    assert parse_retry_after("Mon, 23 Nov 2026 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_national_number_mask() -> None:
    assert mask_national_number("85031412401") == "***********"


@pytest.mark.parametrize("bad", ["abc", "1234"])
def test_malformed_national_number_never_reaches_the_network(bad: str) -> None:
    # Port 9 (discard) on loopback is never contacted: validation fails first.
    with (
        CentralClient(base_url="http://127.0.0.1:9", kiosk_id="k", token="t", timeout=1.0) as c,
        pytest.raises(NotInRegister),
    ):
        c.register_extract(bad)

"""Delivers the outbox to the central server, one batch per `run_once`.

Delivery is at least once: a batch whose answer was lost is sent again, and the server's
de-duplication on `operation_id` makes that harmless. Failed deliveries wait with truncated
exponential backoff plus jitter (`backoff_delay`), or longer when the server asks with
`Retry-After`. A record the server refuses as invalid goes to FAILED_PERMANENT and never blocks the
rest of the queue.

Like the outbox, a sender belongs to the sync thread.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from pydantic import ValidationError

from offline_queue.errors import CentralRejected, SyncError
from offline_queue.outbox import Outbox, OutboxRow
from offline_queue.staff_delivery import STAFF_AUDIT_KIND, StaffAuditSink, StaffEventDelivery
from offline_queue.wire import BatchAck, IssuanceRecord, RecordBatch

logger = logging.getLogger(__name__)

ISSUANCE_RECORD_KIND: Final = "issuance_record"
"""Outbox `kind` of an `IssuanceRecord` payload."""


def enqueue_issuance(outbox: Outbox, record: IssuanceRecord) -> bool:
    """Queue one issuance record for delivery; False when its operation was already queued."""
    return outbox.enqueue(
        operation_id=record.operation_id, kind=ISSUANCE_RECORD_KIND, payload=record
    )


class RecordSink(Protocol):
    """Where batches go: `offline_queue.client.CentralClient` in the product."""

    @property
    def kiosk_id(self) -> str: ...

    def post_records(self, batch: RecordBatch) -> BatchAck: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BackoffPolicy:
    base_s: float = 2.0
    cap_s: float = 600.0


def backoff_delay(attempts: int, *, policy: BackoffPolicy, rng: random.Random) -> float:
    """Delay before the next try after `attempts` failed tries ("equal jitter").

    The ceiling doubles per attempt up to `policy.cap_s`; the delay is drawn in [ceiling/2, ceiling],
    so retries of many kiosks spread out but never come back at once.
    """
    exponent = min(max(attempts - 1, 0), 32)
    ceiling = min(policy.cap_s, policy.base_s * (2.0**exponent))
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


class OutboxSender:
    """Takes due rows from the outbox and delivers them to the central server."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        client: RecordSink,
        clock: Callable[[], float] = time.time,
        batch_size: int = 100,
        policy: BackoffPolicy | None = None,
        rng: random.Random | None = None,
        staff_sink: StaffAuditSink | None = None,
    ) -> None:
        """With `staff_sink`, staff audit events (`STAFF_AUDIT_KIND`) go there, in order."""
        self._outbox = outbox
        self._client = client
        self._clock = clock
        self._batch_size = batch_size
        self._policy = policy or BackoffPolicy()
        self._rng = rng or random.Random()
        self.last_error: SyncError | None = None
        self._staff = (
            None
            if staff_sink is None
            else StaffEventDelivery(
                outbox=outbox, sink=staff_sink, kiosk_id=client.kiosk_id, postpone=self._postpone
            )
        )

    def run_once(self) -> int:
        """Deliver one batch of due rows. Returns how many rows the server now has."""
        rows = self._outbox.claim(self._batch_size)
        if not rows:
            return 0
        if self._staff is None:
            return self._deliver_records(rows)
        staff = [row for row in rows if row.kind == STAFF_AUDIT_KIND]
        others = [row for row in rows if row.kind != STAFF_AUDIT_KIND]
        delivered = self._staff.deliver(staff) if staff else 0
        return delivered + (self._deliver_records(others) if others else 0)

    def _deliver_records(self, rows: Sequence[OutboxRow]) -> int:
        records: list[tuple[OutboxRow, IssuanceRecord]] = []
        for row in rows:
            record = self._decode(row)
            if record is not None:
                records.append((row, record))
        if not records:
            return 0
        try:
            delivered = self._send(records)
        except CentralRejected as err:
            if len(records) == 1:
                self._reject(records[0][0], err)
                return 0
            # One bad record must not block the others: send them one by one.
            delivered = sum(self._send_alone(item) for item in records)
        except SyncError as err:
            self._postpone([row for row, _ in records], err)
            return 0
        self.last_error = None
        return delivered

    def drain(self, *, max_batches: int = 10) -> int:
        """Deliver batches until nothing is due, a delivery fails or `max_batches` were sent."""
        total = 0
        for _ in range(max_batches):
            delivered = self.run_once()
            if delivered == 0:
                break
            total += delivered
        return total

    def _decode(self, row: OutboxRow) -> IssuanceRecord | None:
        if row.kind != ISSUANCE_RECORD_KIND:
            self._outbox.mark_failed(
                row.operation_id, error=f"unknown outbox kind {row.kind!r}", retry_at=None
            )
            return None
        try:
            record = IssuanceRecord.model_validate_json(row.payload_json)
        except ValidationError as err:
            self._outbox.mark_failed(
                row.operation_id,
                error=f"unreadable payload: {err.error_count()} error(s)",
                retry_at=None,
            )
            return None
        if record.kiosk_id != self._client.kiosk_id:
            self._outbox.mark_failed(
                row.operation_id, error="record of another kiosk", retry_at=None
            )
            return None
        return record

    def _send(self, records: Sequence[tuple[OutboxRow, IssuanceRecord]]) -> int:
        batch = RecordBatch(
            batch_id=uuid.uuid4().hex,
            kiosk_id=self._client.kiosk_id,
            records=tuple(record for _, record in records),
        )
        ack = self._client.post_records(batch)
        known = set(ack.accepted) | set(ack.duplicates)
        delivered = self._outbox.mark_done(
            row.operation_id for row, _ in records if row.operation_id in known
        )
        missing = [row for row, _ in records if row.operation_id not in known]
        if missing:
            self._postpone(missing, None)
        return delivered

    def _send_alone(self, item: tuple[OutboxRow, IssuanceRecord]) -> int:
        try:
            return self._send([item])
        except CentralRejected as err:
            self._reject(item[0], err)
        except SyncError as err:
            self._postpone([item[0]], err)
        return 0

    def _reject(self, row: OutboxRow, err: CentralRejected) -> None:
        self.last_error = err
        self._outbox.mark_failed(
            row.operation_id, error=f"rejected: {err.status} {err.code}", retry_at=None
        )

    def _postpone(self, rows: Sequence[OutboxRow], err: SyncError | None) -> None:
        now = self._clock()
        if err is not None:
            self.last_error = err
        reason = "not acknowledged" if err is None else f"{type(err).__name__}: {err}"
        for row in rows:
            delay = backoff_delay(row.attempts, policy=self._policy, rng=self._rng)
            if err is not None and err.retry_after is not None:
                delay = max(delay, err.retry_after)
            self._outbox.mark_failed(row.operation_id, error=reason, retry_at=now + delay)

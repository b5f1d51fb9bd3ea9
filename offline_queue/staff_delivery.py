"""Delivery of the staff audit's events from the outbox, strictly in sequence order.

The central checks each kiosk's chain as events arrive, so an event must never overtake an older
one still waiting in the outbox (after a failed delivery, with its backoff): the claimed events
are sent only up to the first older event that is not claimed; the rest wait for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from pydantic import ValidationError

from offline_queue.errors import CentralRejected, SyncError
from offline_queue.outbox import Outbox, OutboxRow
from offline_queue.wire import StaffAuditAck, StaffAuditBatch, StaffAuditEvent
from offline_queue.wire_staff import MAX_STAFF_EVENTS

log = logging.getLogger(__name__)

STAFF_AUDIT_KIND: Final = "staff_audit_event"
"""Outbox `kind` of a `StaffAuditEvent` payload."""
_WAIT_S: Final = 1.0


def enqueue_staff_event(outbox: Outbox, event: StaffAuditEvent) -> bool:
    """Queue one staff event for delivery; False when it was already queued."""
    return outbox.enqueue(operation_id=event.operation_id, kind=STAFF_AUDIT_KIND, payload=event)


class StaffAuditSink(Protocol):
    """Where staff events go: `offline_queue.client.CentralClient` in the product."""

    def post_staff_audit(self, batch: StaffAuditBatch) -> StaffAuditAck: ...


Postpone = Callable[[Sequence[OutboxRow], SyncError | None], None]


class StaffEventDelivery:
    """Used by `OutboxSender` on the sync thread for the rows of `STAFF_AUDIT_KIND`."""

    def __init__(
        self, *, outbox: Outbox, sink: StaffAuditSink, kiosk_id: str, postpone: Postpone
    ) -> None:
        self._outbox = outbox
        self._sink = sink
        self._kiosk_id = kiosk_id
        self._postpone = postpone
        self.chain_ok: bool | None = None
        """The chain as the central last saw it (None before the first answer)."""

    def deliver(self, rows: Sequence[OutboxRow]) -> int:
        """Send the claimed events that come next in order; returns how many the central has."""
        ready, waiting = self._in_order(rows)
        if waiting:
            self._wait(waiting, behind=self._outbox.undelivered(STAFF_AUDIT_KIND, limit=1))
        events: list[tuple[OutboxRow, StaffAuditEvent]] = []
        for row in ready:
            event = self._decode(row)
            if event is None:
                break  # an unreadable event stops the ones after it: the central would see a gap
            events.append((row, event))
        later = [row for row in ready if row not in {r for r, _ in events}]
        if later:
            self._postpone(later, None)
        if not events:
            return 0
        return self._send(events)

    def _in_order(self, rows: Sequence[OutboxRow]) -> tuple[list[OutboxRow], list[OutboxRow]]:
        claimed = {row.id: row for row in rows}
        ready: list[OutboxRow] = []
        for row in self._outbox.undelivered(STAFF_AUDIT_KIND, limit=len(rows) + MAX_STAFF_EVENTS):
            if row.id not in claimed or len(ready) == MAX_STAFF_EVENTS:
                break
            ready.append(claimed[row.id])
        taken = {row.id for row in ready}
        return ready, [row for row in rows if row.id not in taken]

    def _wait(self, rows: Sequence[OutboxRow], *, behind: Sequence[OutboxRow]) -> None:
        """Put `rows` back until the older event they wait for has gone."""
        retry_at = max((row.next_attempt_at for row in behind), default=0.0) + _WAIT_S
        for row in rows:
            self._outbox.mark_failed(
                row.operation_id, error="waiting for an older staff event", retry_at=retry_at
            )

    def _decode(self, row: OutboxRow) -> StaffAuditEvent | None:
        try:
            event = StaffAuditEvent.model_validate_json(row.payload_json)
        except ValidationError as err:
            self._outbox.mark_failed(
                row.operation_id,
                error=f"unreadable staff event: {err.error_count()} error(s)",
                retry_at=None,
            )
            return None
        if event.kiosk_id != self._kiosk_id:
            self._outbox.mark_failed(
                row.operation_id, error="staff event of another kiosk", retry_at=None
            )
            return None
        return event

    def _send(self, events: Sequence[tuple[OutboxRow, StaffAuditEvent]]) -> int:
        batch = StaffAuditBatch(kiosk_id=self._kiosk_id, events=tuple(e for _, e in events))
        try:
            ack = self._sink.post_staff_audit(batch)
        except CentralRejected as err:
            log.error("staff_audit_rejected", extra={"status": err.status, "code": err.code})
            self._postpone([row for row, _ in events], err)
            return 0
        except SyncError as err:
            self._postpone([row for row, _ in events], err)
            return 0
        self.chain_ok = ack.chain_ok
        if not ack.chain_ok:
            log.error("staff_audit_chain_broken_at_central", extra={"events": len(events)})
        settled = set(ack.accepted) | set(ack.duplicates) | set(ack.conflicts)
        done = self._outbox.mark_done(row.operation_id for row, e in events if e.seq in settled)
        missing = [row for row, e in events if e.seq not in settled]
        if missing:
            self._postpone(missing, None)
        return done

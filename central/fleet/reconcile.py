"""Reconciliation of a kiosk's day: payments approved and reversed, against documents issued,
against the payment terminal's end-of-day totals.

The day is the commune's local calendar day (Europe/Brussels). The terminal's totals come from the
result of the day's last `end_of_day` command: its `detail` is the JSON object
`{"count": <transactions>, "total_cents": <net total>}` that the kiosk reports from the terminal's
end-of-day answer. Differences are listed with the operation ids concerned (no personal data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from central import db as central_db
from central.fleet import tables as t
from central.fleet.base import FleetDb
from central.fleet.models import Difference, Reconciliation, TerminalTotals
from offline_queue.wire import CommandKind, CommandResult, IssuanceRecord, PaymentStatus

LOCAL_TZ: Final = ZoneInfo("Europe/Brussels")
REVERSED_OUTCOMES: Final = frozenset({"reversed", "abandoned_reversed", "refunded"})
REVIEW_OUTCOMES: Final = frozenset(
    {"payment_unknown", "abandoned_payment_unknown", "abandoned_reversal_failed", "manual_review"}
)


def needs_review(record: IssuanceRecord) -> bool:
    """A payment whose outcome staff must check by hand (unknown, or a reversal that failed)."""
    return record.payment_status is PaymentStatus.UNKNOWN or record.outcome in REVIEW_OUTCOMES


@dataclass(slots=True)
class _Tally:
    orders: int = 0
    approved: int = 0
    approved_cents: int = 0
    reversed: int = 0
    reversed_cents: int = 0
    unknown: list[str] = field(default_factory=list)
    documents: int = 0
    paid_without_document: list[str] = field(default_factory=list)
    document_without_payment: list[str] = field(default_factory=list)


def _tally(records: list[IssuanceRecord]) -> _Tally:
    tally = _Tally()
    for record in records:
        tally.orders += 1
        tally.documents += len(record.document_ids)
        reversed_ = record.outcome in REVERSED_OUTCOMES
        approved = record.payment_status is PaymentStatus.APPROVED or reversed_
        if approved:
            tally.approved += 1
            tally.approved_cents += record.amount_cents
        if reversed_:
            tally.reversed += 1
            tally.reversed_cents += record.amount_cents
        if needs_review(record):
            tally.unknown.append(record.operation_id)
        if approved and not reversed_ and record.amount_cents > 0 and not record.document_ids:
            tally.paid_without_document.append(record.operation_id)
        paid = approved and not reversed_
        if record.document_ids and record.amount_cents > 0 and not paid:
            tally.document_without_payment.append(record.operation_id)
    return tally


def reconcile(
    *,
    kiosk_id: str,
    day: date,
    records: list[IssuanceRecord],
    terminal: TerminalTotals | None,
) -> Reconciliation:
    """The day's figures and their differences (pure)."""
    tally = _tally(records)
    net = tally.approved_cents - tally.reversed_cents
    differences: list[Difference] = []
    if tally.unknown:
        differences.append(Difference(code="payment_unknown", operation_ids=tuple(tally.unknown)))
    if tally.paid_without_document:
        differences.append(
            Difference(
                code="paid_without_document", operation_ids=tuple(tally.paid_without_document)
            )
        )
    if tally.document_without_payment:
        differences.append(
            Difference(
                code="document_without_payment",
                operation_ids=tuple(tally.document_without_payment),
            )
        )
    if terminal is None:
        if tally.approved:
            differences.append(Difference(code="no_terminal_totals"))
    else:
        if terminal.total_cents != net:
            differences.append(
                Difference(
                    code="amount_mismatch",
                    detail=f"kiosk={net} terminal={terminal.total_cents}",
                )
            )
        if terminal.count != tally.approved - tally.reversed:
            differences.append(
                Difference(
                    code="count_mismatch",
                    detail=f"kiosk={tally.approved - tally.reversed} terminal={terminal.count}",
                )
            )
    return Reconciliation(
        kiosk_id=kiosk_id,
        day=day,
        orders=tally.orders,
        payments_approved=tally.approved,
        payments_approved_cents=tally.approved_cents,
        payments_reversed=tally.reversed,
        payments_reversed_cents=tally.reversed_cents,
        payments_unknown=len(tally.unknown),
        documents_issued=tally.documents,
        net_cents=net,
        terminal=terminal,
        differences=tuple(differences),
        balanced=not differences,
    )


def terminal_totals(result: CommandResult) -> TerminalTotals | None:
    """The totals of an `end_of_day` result's detail, or None when it holds none."""
    try:
        data = json.loads(result.detail)
        count, total = int(data["count"]), int(data["total_cents"])
    except (ValueError, KeyError, TypeError):
        return None
    return TerminalTotals(count=count, total_cents=total, reported_at=result.finished_at)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


class Reconciler:
    def __init__(self, db: FleetDb) -> None:
        self._db = db

    def day(self, kiosk_id: str, day: date) -> Reconciliation:
        start = datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ)
        low, high = (start - timedelta(days=1)).astimezone(UTC), start + timedelta(days=2)
        r, c = central_db.records.c, t.fleet_commands.c
        with self._db.read("the day's records") as connection:
            bodies = connection.execute(
                sa.select(r.record_json)
                .where(r.kiosk_id == kiosk_id)
                .where(r.received_at >= low.isoformat()[:10])
                .order_by(r.seq)
            ).scalars()
            records = [IssuanceRecord.model_validate_json(body) for body in bodies]
            results = connection.execute(
                sa.select(c.result_json)
                .where(
                    c.kiosk_id == kiosk_id,
                    c.kind == CommandKind.END_OF_DAY.value,
                    c.result_json.is_not(None),
                    c.finished_at >= low.timestamp(),
                    c.finished_at < high.timestamp(),
                )
                .order_by(c.finished_at)
            ).scalars()
            ends = [CommandResult.model_validate_json(body) for body in results]
        todays = [rec for rec in records if _local_day(rec.occurred_at) == day]
        totals = [
            totals
            for end in ends
            if _local_day(end.finished_at) == day and (totals := terminal_totals(end))
        ]
        return reconcile(
            kiosk_id=kiosk_id, day=day, records=todays, terminal=totals[-1] if totals else None
        )

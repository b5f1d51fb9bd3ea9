"""Start-up recovery of the orders a dead process left: by what was delivered, recorded once.

Before the first resident is served, for every order whose documents were sealed but whose outcome
never reached the outbox (the issuance rows of `kiosk.issued`) and every payment left unfinished:

1. the printer says which sealed documents came out (CUPS job states, by job id and by title);
2. the payment journal settles each approved payment by that (`PaymentService.recover`): all the
   papers out → COMPLETED; none, or only part → reversed in full, as a live order whose delivery
   fails (the resident keeps the papers that came out, the refund is whole); not known for sure
   → MANUAL_REVIEW with a staff alert;
3. each sealed document's `issued` record and the order's outcome (`completed`, `reversed`,
   `reversal_failed`, `failed`) go to the outbox, keyed so that a record already there (from the
   dead process, or from a recovery that died itself) is never queued twice, and the central
   server de-duplicates on the same keys. Then the order's issuance rows are settled.

A payment whose outcome is still unknown is left as it is: the kiosk stays out of service.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from hardware.payment.journal import PaymentRecord, PaymentState
from hardware.payment.service import Delivery, order_reference
from kiosk.issued import IssuanceLog, IssuedRow
from kiosk.ports import IssuanceRecord
from kiosk.records import NO_PAYMENT, issued_record

log = logging.getLogger(__name__)
S = PaymentState
TIMEOUT_S = 120.0

_OUTCOME_OF_PAYMENT = {
    S.COMPLETED: "completed",
    S.REVERSED: "reversed",
    S.MANUAL_REVIEW: "reversal_failed",
    S.DECLINED: "failed",
    S.CANCELLED: "failed",
    S.TIMED_OUT: "failed",
    S.NOT_SENT: "failed",
}
_STATUS_OF_PAYMENT = {
    S.COMPLETED: "approved",
    S.REVERSED: "approved",
    S.MANUAL_REVIEW: "approved",
    S.DECLINED: "declined",
    S.CANCELLED: "cancelled",
    S.TIMED_OUT: "cancelled",
    S.NOT_SENT: "cancelled",
}


class _Printer(Protocol):
    def delivered(self, rows: tuple[IssuedRow, ...]) -> Future[dict[str, bool | None]]: ...


class _Payment(Protocol):
    def start(
        self, *, deliveries: Mapping[str, Delivery] | None = None
    ) -> Future[tuple[str, ...]]: ...

    def order_states(self, orders: tuple[str, ...]) -> Future[dict[str, PaymentRecord]]: ...


class _Outbox(Protocol):
    def record_once(self, record: IssuanceRecord) -> Future[bool]: ...


def delivery_of(rows: Sequence[IssuedRow], delivered: Mapping[str, bool | None]) -> Delivery:
    """Pure: an order's verdict from its sealed documents (True: out, False: not, None: unknown).

    An order whose last documents were never sealed has fewer rows than its size: not all out.
    """
    found = [delivered.get(row.document_id) for row in rows]
    if not found or all(v is False for v in found):
        return Delivery.NONE
    if any(v is None for v in found):
        return Delivery.UNCERTAIN
    size = max(row.order_size for row in rows)
    return Delivery.ALL if all(found) and len(found) >= size else Delivery.PARTIAL


def outcome_record(
    *,
    order: str,
    kiosk_id: str,
    rows: Sequence[IssuedRow],
    delivered: Mapping[str, bool | None],
    payment: PaymentRecord | None,
) -> IssuanceRecord | None:
    """Pure: the order's outcome record, or None while its payment is unresolved."""
    out = [row for row in rows if delivered.get(row.document_id) is True]
    size = max((row.order_size for row in rows), default=0)
    if payment is None:
        outcome, status, amount, receipt = (
            ("completed" if rows and len(out) >= size else "failed"),
            NO_PAYMENT,
            0,
            None,
        )
    elif payment.state in _OUTCOME_OF_PAYMENT:
        outcome, status = _OUTCOME_OF_PAYMENT[payment.state], _STATUS_OF_PAYMENT[payment.state]
        amount, receipt = payment.amount_cents, payment.receipt_number or None
    else:
        return None
    shown = rows if outcome == "completed" else out
    codes = tuple(row.verification_code for row in shown)
    return IssuanceRecord(
        operation_id=order,
        kiosk_id=kiosk_id,
        outcome=outcome,
        documents=tuple(row.document_type for row in shown),
        document_ids=tuple(row.document_id for row in shown),
        amount_cents=amount,
        payment_status=status,
        receipt_number=receipt,
        extra={"recovered": "start_up", "delivered": f"{len(out)}/{len(rows)}"},
        document_codes=codes if codes and all(codes) else (),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryReport:
    payments: tuple[str, ...]
    """Payments the journal touched."""
    orders: Mapping[str, str]
    """Order → outcome recorded (orders still unresolved are absent)."""


def recover_orders(
    *,
    issued: IssuanceLog,
    printer: _Printer,
    payment: _Payment,
    outbox: _Outbox,
    kiosk_id: str,
) -> RecoveryReport:
    """Run start-up recovery (see the module docstring); blocks until done."""
    open_orders = issued.open_orders()
    rows = tuple(row for found in open_orders.values() for row in found)
    delivered = printer.delivered(rows).result(timeout=TIMEOUT_S) if rows else {}
    verdicts = {order: delivery_of(found, delivered) for order, found in open_orders.items()}
    for order, verdict in verdicts.items():
        log.warning(
            "order_found_at_start", extra={"operation_id": order, "delivery": verdict.value}
        )
    touched = payment.start(deliveries=verdicts).result(timeout=TIMEOUT_S)
    orders = tuple(dict.fromkeys([*open_orders, *(order_reference(r) for r in touched)]))
    states = payment.order_states(orders).result(timeout=TIMEOUT_S)
    recorded: dict[str, str] = {}
    for order in orders:
        found = open_orders.get(order, ())
        state = states.get(order)
        paid = state is not None and state.receipt_number != ""
        for row in found:
            outbox.record_once(
                issued_record(
                    order_reference=order,
                    kiosk_id=kiosk_id,
                    document_id=row.document_id,
                    document_type=row.document_type,
                    verification_code=row.verification_code,
                    paid=paid,
                )
            ).result(timeout=TIMEOUT_S)
        record = outcome_record(
            order=order, kiosk_id=kiosk_id, rows=found, delivered=delivered, payment=state
        )
        if record is None:
            log.error("order_left_unresolved", extra={"operation_id": order})
            continue
        outbox.record_once(record).result(timeout=TIMEOUT_S)
        issued.settle(order)
        recorded[order] = record.outcome
        log.warning("order_recovered", extra={"operation_id": order, "outcome": record.outcome})
    return RecoveryReport(payments=touched, orders=recorded)

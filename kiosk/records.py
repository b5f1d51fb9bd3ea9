"""The one place where an order, an abandoned payment or a staff alert becomes an outbox record.

A record carries no personal data: document types and ids, verification codes (a prefix of a hash
of the certified content), amounts, the terminal's receipt number and translation keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kiosk.ports import IssuanceRecord, IssuedDocument, PaymentResult

NO_PAYMENT = "none"


def issuance_record(
    *,
    operation_id: str,
    kiosk_id: str,
    outcome: str,
    issued: Sequence[IssuedDocument] = (),
    payment: PaymentResult | None = None,
    amount_cents: int | None = None,
    payment_status: str | None = None,
    receipt_number: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> IssuanceRecord:
    """Build the record of one operation.

    `payment` fills the amount, status and receipt number; without it `amount_cents`,
    `payment_status` and `receipt_number` are used as given (0, "none" and None by default).
    Verification codes are kept only when every issued document has one.
    """
    if payment is not None:
        amount_cents = payment.amount_cents
        payment_status = payment.status.value
        receipt_number = payment.receipt_number
    codes = tuple(d.verification_code for d in issued)
    return IssuanceRecord(
        operation_id=operation_id,
        kiosk_id=kiosk_id,
        outcome=outcome,
        documents=tuple(d.document_type for d in issued),
        document_ids=tuple(d.document_id for d in issued),
        amount_cents=amount_cents or 0,
        payment_status=payment_status or NO_PAYMENT,
        receipt_number=receipt_number,
        extra=dict(extra or {}),
        document_codes=codes if codes and all(codes) else (),
    )


ISSUED_OUTCOME = "issued"
SETTLED_OUTCOMES = frozenset({"completed", "reversed", "reversal_failed", "failed"})
"""Outcomes after which an order is over for good (its issuance rows may go)."""
RECOVERED_SUFFIX = ".recovered"


def issued_operation_id(document_id: str) -> str:
    """The outbox and central key of one sealed document's `issued` record."""
    return f"issued.{document_id}"


def issued_record(
    *,
    order_reference: str,
    kiosk_id: str,
    document_id: str,
    document_type: str,
    verification_code: str,
    paid: bool,
    holder_ref: str | None = None,
) -> IssuanceRecord:
    """One document sealed (written before it is printed): the verification page knows it."""
    return IssuanceRecord(
        operation_id=issued_operation_id(document_id),
        kiosk_id=kiosk_id,
        outcome=ISSUED_OUTCOME,
        documents=(document_type,),
        document_ids=(document_id,),
        amount_cents=0,
        payment_status="approved" if paid else NO_PAYMENT,
        receipt_number=None,
        extra={"order": order_reference},
        document_codes=(verification_code,) if verification_code else (),
        holder_ref=holder_ref,
    )

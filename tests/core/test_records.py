"""The one outbox record builder: orders, abandoned payments and staff alerts."""

from __future__ import annotations

from pathlib import Path

from kiosk.ports import IssuedDocument, PaymentResult, PaymentStatus
from kiosk.records import issuance_record


def _doc(document_id: str, code: str) -> IssuedDocument:
    return IssuedDocument(
        document_id=document_id,
        document_type="residence",
        language="fr",
        pdf_path=Path(f"/nowhere/{document_id}.pdf"),
        sha256="0" * 64,
        pages=1,
        verification_code=code,
    )


def test_an_order_takes_its_amount_status_and_receipt_from_the_payment() -> None:
    payment = PaymentResult(
        status=PaymentStatus.APPROVED, reference="op-1", amount_cents=500, receipt_number="0042"
    )
    record = issuance_record(
        operation_id="op-1",
        kiosk_id="k-1",
        outcome="completed",
        issued=(_doc("d1", "AAAA-BBBB-CCCC"), _doc("d2", "DDDD-EEEE-FFFF")),
        payment=payment,
        extra={"document_language": "fr"},
    )
    assert record.amount_cents == 500
    assert record.payment_status == "approved"
    assert record.receipt_number == "0042"
    assert record.documents == ("residence", "residence")
    assert record.document_ids == ("d1", "d2")
    assert record.document_codes == ("AAAA-BBBB-CCCC", "DDDD-EEEE-FFFF")
    assert record.extra == {"document_language": "fr"}


def test_codes_are_dropped_when_any_is_unknown() -> None:
    record = issuance_record(
        operation_id="op-2",
        kiosk_id="k-1",
        outcome="completed",
        issued=(_doc("d1", "AAAA-BBBB-CCCC"), _doc("d2", "")),
    )
    assert record.document_codes == ()


def test_an_alert_without_payment_records_nothing_paid() -> None:
    record = issuance_record(operation_id="alert-1", kiosk_id="k-1", outcome="staff_alert")
    assert (record.amount_cents, record.payment_status, record.receipt_number) == (0, "none", None)
    assert record.documents == ()
    assert record.document_codes == ()


def test_an_abandoned_payment_keeps_the_given_figures() -> None:
    record = issuance_record(
        operation_id="ref-9",
        kiosk_id="k-1",
        outcome="reversed",
        amount_cents=750,
        payment_status="reversed",
        receipt_number="0007",
    )
    assert (record.amount_cents, record.payment_status, record.receipt_number) == (
        750,
        "reversed",
        "0007",
    )

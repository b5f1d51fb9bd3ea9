"""Builders of sync messages for the tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from offline_queue.wire import IssuanceRecord, PaymentStatus


def issuance_record(
    *,
    kiosk_id: str,
    operation_id: str | None = None,
    document_ids: tuple[str, ...] | None = None,
    document_codes: tuple[str, ...] = (),
) -> IssuanceRecord:
    op = operation_id or f"op-{uuid.uuid4().hex}"
    ids = document_ids if document_ids is not None else (f"DOC-{uuid.uuid4().hex[:10]}",)
    return IssuanceRecord(
        operation_id=op,
        kiosk_id=kiosk_id,
        occurred_at=datetime(2026, 11, 23, 10, 30, tzinfo=UTC),
        outcome="issued",
        documents=("residence_certificate",) * len(ids),
        document_ids=ids,
        document_codes=document_codes,
        amount_cents=500 * len(ids),
        payment_status=PaymentStatus.APPROVED,
        receipt_number="R-000123",
    )

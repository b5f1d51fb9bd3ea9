"""Start-up recovery's pure rules and the issuance log it reads (a real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.payment.journal import PaymentRecord, PaymentState
from hardware.payment.service import Delivery, attempt_reference, order_reference
from kiosk.issued import IssuanceLog, IssuedRow
from kiosk.recovery import delivery_of, outcome_record

S = PaymentState


def row(document_id: str, *, size: int = 2, code: str = "0123456789ab") -> IssuedRow:
    return IssuedRow(
        document_id=document_id,
        order_reference="order",
        document_type="household",
        verification_code=code,
        job_id=None,
        order_size=size,
    )


@pytest.mark.parametrize(
    ("delivered", "rows", "verdict"),
    [
        ({}, (), Delivery.NONE),
        ({"a": False, "b": False}, ("a", "b"), Delivery.NONE),
        ({"a": True, "b": True}, ("a", "b"), Delivery.ALL),
        ({"a": True, "b": False}, ("a", "b"), Delivery.PARTIAL),
        ({"a": True}, ("a",), Delivery.PARTIAL),  # the second document was never sealed
        ({"a": True, "b": None}, ("a", "b"), Delivery.UNCERTAIN),
    ],
)
def test_an_order_is_delivered_only_when_every_document_came_out(
    delivered: dict[str, bool | None], rows: tuple[str, ...], verdict: Delivery
) -> None:
    assert delivery_of([row(d) for d in rows], delivered) is verdict


def test_attempt_references_map_back_to_their_order() -> None:
    for attempt in (1, 2, 3):
        assert order_reference(attempt_reference("0a1b.c", attempt)) == "0a1b.c"
    assert order_reference("abc.7") == "abc.7"  # not an attempt suffix


def payment(state: PaymentState) -> PaymentRecord:
    return PaymentRecord(
        reference="order",
        amount_cents=500,
        currency="EUR",
        state=state,
        created_at="2026-01-01T10:00:00+00:00",
        updated_at="2026-01-01T10:00:00+00:00",
        receipt_number="0042",
    )


def test_a_completed_order_lists_its_documents_and_a_reversed_one_what_came_out() -> None:
    rows = [row("a"), row("b")]
    done = outcome_record(
        order="order",
        kiosk_id="k",
        rows=rows,
        delivered={"a": True, "b": True},
        payment=payment(S.COMPLETED),
    )
    assert done is not None
    assert (done.outcome, done.document_ids, done.amount_cents) == ("completed", ("a", "b"), 500)
    assert done.document_codes == ("0123456789ab", "0123456789ab")
    part = outcome_record(
        order="order",
        kiosk_id="k",
        rows=rows,
        delivered={"a": True, "b": False},
        payment=payment(S.REVERSED),
    )
    assert part is not None
    assert (part.outcome, part.document_ids, part.extra["delivered"]) == ("reversed", ("a",), "1/2")
    review = outcome_record(
        order="order", kiosk_id="k", rows=rows, delivered={}, payment=payment(S.MANUAL_REVIEW)
    )
    assert review is not None
    assert review.outcome == "reversal_failed"


def test_no_outcome_while_the_payment_is_unresolved() -> None:
    for state in (S.UNKNOWN, S.RECOVERING, S.APPROVED, S.DELIVERING):
        assert (
            outcome_record(order="o", kiosk_id="k", rows=[], delivered={}, payment=payment(state))
            is None
        )


def test_the_issuance_log_survives_a_reopen_and_settles_by_order(tmp_path: Path) -> None:
    path = tmp_path / "issued.sqlite"
    log = IssuanceLog(path)
    log.add(order_reference="o1", document_id="d1", document_type="life", verification_code="c1")
    log.add(
        order_reference="o1",
        document_id="d2",
        document_type="household",
        verification_code="c2",
        order_size=2,
    )
    log.add(order_reference="o2", document_id="d3", document_type="life", verification_code="")
    log.set_job("d1", 17)
    log.close()  # as a crash would leave it: committed rows only
    again = IssuanceLog(path)
    try:
        orders = again.open_orders()
        assert list(orders) == ["o1", "o2"]
        assert [(r.document_id, r.job_id) for r in orders["o1"]] == [("d1", 17), ("d2", None)]
        assert orders["o1"][1].order_size == 2
        assert again.settle("o1") == 2
        assert list(again.open_orders()) == ["o2"]
    finally:
        again.close()

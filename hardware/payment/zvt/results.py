"""What a ZVT dialogue amounts to: pure conversions from the messages the terminal sent during one
command to the protocol-neutral outcome values of `hardware.payment.model`."""

from __future__ import annotations

from dataclasses import dataclass, field

from hardware.payment.model import (
    NOT_CHARGED,
    Approved,
    BrandTotal,
    Cancelled,
    Declined,
    EndOfDay,
    PaymentOutcome,
    Unknown,
)
from hardware.payment.recovery import LastTransaction, Verdict
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.fields import StatusInformation


@dataclass(slots=True, kw_only=True)
class Transaction:
    """Everything the terminal said between accepting a command and ending it."""

    info: StatusInformation | None = None
    lines: list[str] = field(default_factory=list)
    completed: bool = False
    abort_code: int | None = None
    ecr_aborted: bool = False
    customer_timed_out: bool = False
    abort_refused: bool = False
    completion: msg.Completion | None = None


def receipt_text(number: int | None) -> str:
    return f"{number:04d}" if number is not None else ""


def approved(info: StatusInformation, *, reference: str, lines: list[str], amount: int) -> Approved:
    return Approved(
        amount_cents=info.amount_cents if info.amount_cents is not None else amount,
        reference=reference,
        auth_code=info.auth_code,
        receipt_number=receipt_text(info.receipt_number),
        masked_pan=info.masked_pan,
        card_brand=info.card_brand,
        receipt_lines=tuple(lines),
        terminal_id=info.terminal_id,
        trace=f"{info.trace:06d}" if info.trace is not None else "",
    )


def outcome(tx: Transaction, *, reference: str, amount_cents: int) -> PaymentOutcome:
    info = tx.info
    code = tx.abort_code if tx.abort_code is not None else (info.result_code if info else None)
    if tx.completed and info is not None and info.result_code == msg.RESULT_SUCCESS:
        return approved(info, reference=reference, lines=tx.lines, amount=amount_cents)
    if code is None:
        return Unknown(reference=reference, detail="completion without status information")
    if code == msg.RESULT_ABORTED or tx.ecr_aborted:
        return Cancelled(reference=reference, reason_code=code, timed_out=tx.customer_timed_out)
    return Declined(
        reference=reference,
        reason_code=code,
        reason=msg.result_key(code),
        receipt_number=receipt_text(info.receipt_number) if info else "",
    )


def last_transaction(tx: Transaction) -> LastTransaction | None:
    """The Repeat Receipt's account of the last transaction; None when the terminal holds none."""
    if tx.abort_code is not None:
        return None
    info = tx.info
    if info is None:
        return LastTransaction(receipt_number="", amount_cents=None, result_code=0)
    return LastTransaction(
        receipt_number=receipt_text(info.receipt_number),
        amount_cents=info.amount_cents,
        result_code=info.result_code,
    )


def looked_up(
    verdict: Verdict,
    *,
    why: str,
    tx: Transaction,
    reference: str,
    amount_cents: int,
) -> PaymentOutcome:
    """The outcome recovery records for a verdict of `recovery.decide`."""
    info = tx.info
    if verdict is Verdict.APPROVED and info is not None:
        return approved(info, reference=reference, lines=tx.lines, amount=amount_cents)
    if verdict is Verdict.NOT_CHARGED:
        return Cancelled(reference=reference, reason=NOT_CHARGED)
    if verdict is Verdict.CANCELLED and info is not None:
        return Cancelled(reference=reference, reason_code=info.result_code)
    if verdict is Verdict.DECLINED and info is not None:
        return Declined(
            reference=reference,
            reason_code=info.result_code,
            reason=msg.result_key(info.result_code),
            receipt_number=receipt_text(info.receipt_number),
        )
    return Unknown(reference=reference, detail=why)


def closing(tx: Transaction, *, result_code: int) -> EndOfDay:
    """End of day: BMP 60 totals per card group, only the groups with transactions."""
    totals = tx.info.totals if tx.info else None
    return EndOfDay(
        approved=result_code == msg.RESULT_SUCCESS,
        result_code=result_code,
        total_cents=tx.info.amount_cents if tx.info else None,
        receipt_lines=tuple(tx.lines),
        totals=tuple(
            BrandTotal(brand=g.group, count=g.count, amount_cents=g.amount_cents)
            for g in (totals.groups if totals else ())
            if g.count or g.amount_cents
        ),
        first_receipt=receipt_text(totals.first_receipt) if totals else "",
        last_receipt=receipt_text(totals.last_receipt) if totals else "",
    )

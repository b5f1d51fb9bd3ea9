"""What became of a payment whose answer was lost: the decision table, as a pure function.

Protocol-neutral. The evidence is what a real terminal offers after a restart: the newest receipt
number the kiosk knew *before* the attempt (kept in the journal row), and the terminal's last
transaction (ZVT: Repeat Receipt 06 20, status information with receipt number, amount, result).
No house convention (an ECR trace echoed back) is needed. `hardware/payment/CHECKLIST.md` lists the
same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

RESULT_SUCCESS = 0x00
RESULT_ABORTED = 0x6C


class Verdict(StrEnum):
    APPROVED = "approved"  # a new receipt, this amount, approved: the attempt charged the card
    DECLINED = "declined"  # a new receipt, this amount, refused by card or host
    CANCELLED = "cancelled"  # a new receipt, this amount, aborted
    NOT_CHARGED = "not_charged"  # nothing new on the terminal since the attempt was journaled
    OTHER_TRANSACTION = "other_transaction"  # a new receipt for another amount: staff decides
    INCONCLUSIVE = "inconclusive"  # no usable evidence: staff decides


@dataclass(frozen=True, slots=True, kw_only=True)
class LastTransaction:
    """The terminal's last transaction as it reports it; `receipt_number` "" if it gave none."""

    receipt_number: str
    amount_cents: int | None
    result_code: int


def _same_receipt(a: str, b: str) -> bool:
    return a.lstrip("0") == b.lstrip("0")


def decide(
    *, baseline: str | None, last: LastTransaction | None, amount_cents: int
) -> tuple[Verdict, str]:
    """The verdict and a one-line reason for staff.

    `baseline`: the newest receipt number known before the attempt ("" = the terminal had none,
    None = unknown). `last`: the terminal's last transaction, None when it holds none at all.
    """
    if last is None:
        if baseline == "":
            return Verdict.NOT_CHARGED, "terminal holds no transaction, nor did it before"
        # its memory may have been cleared (closure, service) since it charged the card
        return Verdict.INCONCLUSIVE, f"terminal holds no transaction, last known {baseline}"
    if not last.receipt_number:
        return Verdict.INCONCLUSIVE, "last transaction without receipt number"
    if baseline is None:
        return Verdict.INCONCLUSIVE, f"receipt {last.receipt_number}, no receipt known before"
    if baseline and _same_receipt(last.receipt_number, baseline):
        return Verdict.NOT_CHARGED, f"nothing since receipt {baseline}"
    if last.amount_cents != amount_cents:
        return (
            Verdict.OTHER_TRANSACTION,
            f"receipt {last.receipt_number} is for {last.amount_cents} cents",
        )
    if last.result_code == RESULT_SUCCESS:
        return Verdict.APPROVED, f"approved as receipt {last.receipt_number}"
    if last.result_code == RESULT_ABORTED:
        return Verdict.CANCELLED, f"aborted as receipt {last.receipt_number}"
    return Verdict.DECLINED, f"refused ({last.result_code:02X}) as receipt {last.receipt_number}"

"""The simulated terminal's records as the ECR sees them: status information, receipts, totals."""

from __future__ import annotations

from hardware.payment.zvt import messages as msg
from hardware.payment.zvt import totals
from hardware.payment.zvt.fields import StatusInformation
from hardware.simulators.zvt.journal import TerminalRecord

TERMINAL_ID = "52500001"

# The card group (BMP 60) each brand the simulator knows is counted under.
_GROUPS = {"girocard": "girocard", "Visa": "Visa", "Mastercard": "Eurocard", "Amex": "Amex"}


def day_totals(settled: tuple[TerminalRecord, ...]) -> totals.IndividualTotals:
    counts: dict[str, tuple[int, int]] = {}
    for record in settled:
        group = _GROUPS.get(record.brand, "other")
        count, amount = counts.get(group, (0, 0))
        counts[group] = (count + 1, amount + record.amount_cents)
    receipts = [r.receipt for r in settled]
    return totals.IndividualTotals(
        first_receipt=min(receipts, default=0),
        last_receipt=max(receipts, default=0),
        groups=tuple(
            totals.GroupTotal(group=name, count=count, amount_cents=amount)
            for name, (count, amount) in counts.items()
        ),
    )


def receipt_lines(*, amount: int, receipt: int, trace: int, result: int) -> tuple[str, ...]:
    verdict = "APPROVED" if result == msg.RESULT_SUCCESS else "DECLINED"
    return (
        "BANCONTACT",
        f"TERMINAL {TERMINAL_ID}",
        f"RECEIPT {receipt:04d}  TRACE {trace:06d}",
        "CARD ************1234",
        f"AMOUNT EUR {amount / 100:.2f}",
        verdict,
    )


def status_info(record: TerminalRecord) -> StatusInformation:
    return StatusInformation(
        result_code=record.result,
        amount_cents=record.amount_cents,
        trace=record.trace,
        receipt_number=record.receipt,
        terminal_id=TERMINAL_ID,
        auth_code=record.auth_code,
        masked_pan=record.masked_pan,
        card_name=record.brand,
        currency=msg.CURRENCY_EUR,
    )

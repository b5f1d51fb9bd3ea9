"""Claim slip for a payment that needs staff: pure data the kiosk can print, behind the payment port.

A payment needs staff when a reversal was refused (MANUAL_REVIEW) or when its outcome is unknown
(UNKNOWN / RECOVERING: the terminal may or may not have charged the card). The kiosk may also call
staff about an order whose latest attempt is in another state (a second charge refused because the
order was already charged, for instance): the slip is printed from whatever the journal holds, so
the resident always leaves with paper carrying the code shown on screen.

The resident keeps the slip; staff find the journal row by the claim code (or the reference) and
refund by hand with what the row holds: amount, time, terminal id, trace, receipt number, masked PAN
and brand. Every text is a translation key with parameters; nothing here is a sentence.

The payment adapter (`kiosk.adapters.payment`) turns a journal row into `PaymentFacts`; the
journey and the maintenance mode know only this module's types, carried by the ports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
# Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or typed by staff is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLAIM_CODE_LENGTH = 8

TITLE_KEY = "payment.claim.title"
INTRO_KEY = "payment.claim.intro"
DETAIL_KEYS = (
    "payment.claim.code",
    "payment.claim.amount",
    "payment.claim.when",
    "payment.claim.receipt",
    "payment.claim.card",
    "payment.claim.kiosk",
)
INSTRUCTION_KEYS = (
    "payment.claim.do_not_pay_again",
    "payment.claim.go_to_desk",
    "payment.claim.keep_slip",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SlipLine:
    key: str
    params: tuple[tuple[str, str], ...] = ()

    def params_dict(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimSlip:
    claim_code: str
    reference: str
    amount_cents: int
    currency: str
    date: str  # YYYY-MM-DD, Brussels time
    time: str  # HH:MM, Brussels time
    receipt_number: str
    masked_pan: str
    card_brand: str
    terminal_id: str
    trace: str
    commune: str
    kiosk_id: str
    title: SlipLine
    lines: tuple[SlipLine, ...]


def claim_code(reference: str) -> str:
    """Eight base-32 characters derived from the reference, shown as ``XXXX-XXXX``."""
    value = int.from_bytes(hashlib.sha256(reference.encode()).digest()[:5], "big")
    chars = "".join(
        _ALPHABET[(value >> (5 * i)) & 0x1F] for i in reversed(range(CLAIM_CODE_LENGTH))
    )
    return f"{chars[:4]}-{chars[4:]}"


def format_amount(amount_cents: int) -> str:
    """Belgian notation without currency sign: 1234 -> '12,34'."""
    return f"{amount_cents // 100},{amount_cents % 100:02d}"


class PaymentFacts(Protocol):
    """What the payment journal holds about a payment, as the slip needs it (never the card number).

    The journal's row satisfies it as it is; `created_at` is ISO 8601 with an offset.
    """

    @property
    def reference(self) -> str: ...

    @property
    def amount_cents(self) -> int: ...

    @property
    def currency(self) -> str: ...

    @property
    def created_at(self) -> str: ...

    @property
    def receipt_number(self) -> str: ...

    @property
    def masked_pan(self) -> str: ...

    @property
    def card_brand(self) -> str: ...

    @property
    def terminal_id(self) -> str: ...

    @property
    def trace(self) -> str: ...


def claim_slip(record: PaymentFacts, *, commune: str, kiosk_id: str) -> ClaimSlip:
    """Everything the resident needs to claim a payment staff must settle by hand.

    Pure and total: any journaled state gives a slip (see the module docstring).
    """
    when = datetime.fromisoformat(record.created_at).astimezone(BRUSSELS)
    code = claim_code(record.reference)
    date, clock = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
    card = f"{record.card_brand} {record.masked_pan}".strip()
    details = (
        ("code", code),
        ("amount", format_amount(record.amount_cents)),
        ("when", f"{date} {clock}"),
        ("receipt", record.receipt_number),
        ("card", card),
        ("kiosk", kiosk_id),
    )
    lines = [
        SlipLine(key=INTRO_KEY, params=(("commune", commune),)),
        *(
            SlipLine(key=key, params=((name, value),))
            for key, (name, value) in zip(DETAIL_KEYS, details, strict=True)
            if value
        ),
        SlipLine(key=INSTRUCTION_KEYS[0]),
        SlipLine(key=INSTRUCTION_KEYS[1], params=(("commune", commune),)),
        SlipLine(key=INSTRUCTION_KEYS[2], params=(("code", code),)),
    ]
    return ClaimSlip(
        claim_code=code,
        reference=record.reference,
        amount_cents=record.amount_cents,
        currency=record.currency,
        date=date,
        time=clock,
        receipt_number=record.receipt_number,
        masked_pan=record.masked_pan,
        card_brand=record.card_brand,
        terminal_id=record.terminal_id,
        trace=record.trace,
        commune=commune,
        kiosk_id=kiosk_id,
        title=SlipLine(key=TITLE_KEY, params=(("commune", commune),)),
        lines=tuple(lines),
    )

"""Protocol-neutral payment values and the `PaymentTerminal` contract.

Outcomes are values, failures are exceptions: a terminal returns `Approved`, `Declined`, `Cancelled`
or `Unknown` once it may have touched the card, and raises (see `hardware.payment.errors`) only when
the request was certainly not accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

StatusCallback = Callable[[str], None]

STATUS_ACCEPTED = "payment.status.accepted"
"""Sent once the terminal has accepted the request (point of no return); the journal listens."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Approved:
    amount_cents: int
    reference: str
    auth_code: str
    receipt_number: str
    masked_pan: str = ""
    card_brand: str = ""
    receipt_lines: tuple[str, ...] = ()
    terminal_id: str = ""
    trace: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Declined:
    reference: str
    reason_code: int
    reason: str = "payment.declined"
    receipt_number: str = ""  # a terminal may number a refusal's receipt too


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancelled:
    reference: str
    reason_code: int | None = None
    timed_out: bool = False
    reason: str = "payment.cancelled"


NOT_CHARGED = "payment.not_charged"
"""`Cancelled.reason` when recovery proved the attempt never reached the card (nothing new on the
terminal since the attempt was journaled)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown:
    """The terminal may have charged the card; resolve with `lookup` or staff, never re-charge."""

    reference: str
    detail: str
    reason: str = "payment.result_unknown"


PaymentOutcome = Approved | Declined | Cancelled | Unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    status_enquiry: bool = False
    abort: bool = False
    reversal: bool = False
    refund: bool = False
    end_of_day: bool = False
    repeat_receipt: bool = False
    receipt_text: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalStatus:
    ready: bool
    result_code: int
    terminal_id: str = ""
    software_version: str = ""
    terminal_status: int | None = None  # the Completion's terminal-status byte (0x00 ready)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrandTotal:
    brand: str
    count: int
    amount_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfDay:
    """The terminal's closure: what it settled since the previous one."""

    approved: bool
    result_code: int
    total_cents: int | None = None
    receipt_lines: tuple[str, ...] = ()
    totals: tuple[BrandTotal, ...] = ()  # per card brand, only brands with transactions
    first_receipt: str = ""
    last_receipt: str = ""

    @property
    def count(self) -> int:
        return sum(t.count for t in self.totals)


class PaymentTerminal(Protocol):
    """What the payment core needs from a terminal driver; one owner thread calls it."""

    def register(self) -> None: ...

    def pay(
        self,
        *,
        amount_cents: int,
        currency: str = "EUR",
        reference: str,
        on_status: StatusCallback,
    ) -> PaymentOutcome: ...

    def lookup(
        self, *, reference: str, amount_cents: int, last_receipt: str | None = None
    ) -> PaymentOutcome | None:
        """What became of an attempt whose answer was lost.

        `last_receipt` is the newest receipt number the kiosk knew before the attempt ("" when the
        terminal had none, None when unknown). Returns an outcome, `Unknown` with the reason when
        the evidence is not conclusive, or None when the terminal has no record at all.
        """

    def last_receipt(self) -> str | None:
        """The receipt number of the terminal's last transaction ("" if none, None if the
        protocol cannot tell); asks the terminal, never charges."""

    def status_enquiry(self) -> TerminalStatus: ...

    def abort(self) -> None:
        """Ask the running payment to stop; safe to call from any thread."""

    def reverse(self, *, receipt_number: str, reference: str = "") -> PaymentOutcome: ...

    def refund(self, *, amount_cents: int, reference: str = "") -> PaymentOutcome: ...

    def end_of_day(self) -> EndOfDay: ...

    def repeat_receipt(self) -> tuple[str, ...]: ...

    def capabilities(self) -> Capabilities: ...

    def close(self) -> None: ...

"""The seams between the resident's journey and the devices and services behind it.

Every port method returns at once with a `Future`; the work runs on the device's own thread (see
`hardware.runner.DeviceRunner`). The journey controller never blocks, so it may be driven from the
Qt main thread. The composition root (`kiosk.app`) binds each port to a real adapter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from hardware.eid.model import CitizenProof
from hardware.errors import BorneError
from hardware.payment.model import EndOfDay
from kiosk.claim_slip import ClaimSlip as ClaimSlip  # noqa: PLC0414 - the port's type
from printing.documents import CATALOGUE, Offer, RegisterFacts, offer
from printing.model import Address, Person

PostalAddress = Address
"""A postal address (the register's domain type; the old name stays importable)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CardHolder:
    """The verified identity of the resident in front of the kiosk (kept in memory only)."""

    national_number: str
    surname: str
    first_names: str
    birth_date: date | None
    sex: str
    nationality: str
    address: PostalAddress
    card_valid_until: date
    card_language: str = "fr"


class CardEventKind(enum.Enum):
    INSERTED = "inserted"
    REMOVED = "removed"
    READER_LOST = "reader_lost"
    READER_UNAVAILABLE = "reader_unavailable"  # the PC/SC service (pcscd) is gone: out of service
    READER_RESTORED = "reader_restored"  # the reader is usable again after a loss


class PinOutcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    BLOCKED = "blocked"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinResult:
    outcome: PinOutcome
    tries_left: int | None = None


class CardPort(Protocol):
    def watch(self, on_event: Callable[[CardEventKind], None]) -> None:
        """Report card insertion and removal (from any thread) until `close`."""

    def read_holder(self) -> Future[CardHolder]:
        """Read and verify identity and address; fails with a typed error when anything is off."""

    def pin_tries_left(self) -> Future[int | None]: ...

    def verify_pin(self, pin: bytearray) -> Future[PinResult]:
        """Verify on the card; the adapter wipes `pin` once the command is built."""

    def reader_has_pinpad(self) -> Future[bool]:
        """After `read_holder`: whether the reader takes the PIN on its own keypad
        (PC/SC part 10 FEATURE_VERIFY_PIN_DIRECT). Then the kiosk never takes digits on its screen."""
        ...

    def verify_pin_on_reader(self, *, language: str) -> Future[PinResult]:
        """The resident types the PIN on the reader's keypad (its messages in `language`); the
        reader's own time-out and cancel key are TIMED_OUT and CANCELLED (no try is lost)."""
        ...

    def prove_presence(self, nonce: str) -> Future[Presence]:
        """After the PIN: the card signs the central's `nonce` (hex) with its Authentication key."""
        ...

    def end_session(self) -> Future[None]:
        """LOG OFF and disconnect; personal data of the session is forgotten."""


HouseholdMember = Person
"""A person of the register with their own address periods (the one domain model of register data,
`printing.model`, shared by the ports, the documents and, converted in `adapters.sync`, the wire)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterExtract:
    """What the population register says about the resident, for the certificates."""

    household_id: str
    address: PostalAddress
    members: tuple[HouseholdMember, ...]
    holder_ref: str | None = None
    """The central's keyed reference of the resident (opaque here), put in their records."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    """The card's signature over the central's nonce: the holder of the card is at the kiosk."""

    nonce: str
    proof: CitizenProof


class RegisterPort(Protocol):
    def challenge(self) -> Future[str]:
        """A fresh single-use nonce (hex) from the central, for `CardPort.prove_presence`."""
        ...

    def extract(self, national_number: str, presence: Presence) -> Future[RegisterExtract]:
        """The register's data, released by the central only against `presence`."""
        ...


class PaymentStatus(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class PaymentNotTaken(BorneError):
    """The terminal started no transaction (busy, refused the command, or payments are suspended
    until an earlier one is resolved): nothing was charged, so no claim code and no staff call,
    except when `suspended` (the kiosk must not take payments until staff look)."""

    translation_key = "payment.terminal_busy"

    def __init__(
        self, message: str, *, translation_key: str | None = None, suspended: bool = False
    ) -> None:
        super().__init__(message, translation_key=translation_key)
        self.suspended = suspended


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentResult:
    status: PaymentStatus
    reference: str
    amount_cents: int
    receipt_number: str | None = None
    auth_code: str | None = None
    card_brand: str | None = None
    masked_pan: str | None = None
    receipt_lines: tuple[str, ...] = ()
    reason: str | None = None
    attempt: int = 1  # the order's attempt number (a retry after a refusal is the next one)


class PaymentPort(Protocol):
    def pay(
        self,
        *,
        amount_cents: int,
        reference: str,
        on_prompt: Callable[[str], None],
    ) -> Future[PaymentResult]:
        """Charge the card; `on_prompt` receives translation keys ("payment.status.insert_card", ...)."""

    def reverse(self, *, reference: str, receipt_number: str) -> Future[PaymentResult]:
        """Undo an approved charge whose documents could not be delivered.

        The result's status is APPROVED when the terminal reversed the charge; anything else leaves
        the charge for staff to refund by hand (the adapter raises a staff alert).
        """

    def complete(self, *, reference: str) -> Future[None]:
        """Every document of an approved order was delivered: the charge is final."""

    def claim_slip(self, *, reference: str) -> Future[ClaimSlip]:
        """The claim slip of a payment staff must settle (reversal refused, outcome unknown)."""

    def claim_code(self, *, reference: str) -> str:
        """The code a resident takes to the counter for this payment, as its claim slip prints it.

        Derived from the reference alone: no device is asked, so it is shown at once.
        """

    def acknowledge(self, *, references: tuple[str, ...]) -> Future[None]:
        """Staff took over these payments: forget them at start-up, resolve what can be resolved.

        Fails (`PaymentsSuspended`) when a payment's outcome is still unknown afterwards: the kiosk
        then stays out of service.
        """

    def end_of_day(self) -> Future[EndOfDay]:
        """Close the terminal's day: what it settled, per card brand (count and amount).

        Refused (`PaymentInProgress`) while a payment runs; for the fleet and maintenance tools.
        """

    def cancel(self) -> None:
        """The resident left the payment screen or pulled the card: abort the running payment.

        Returns at once (any thread); the pending `pay` future then resolves, usually CANCELLED,
        but APPROVED when the terminal had already charged the card.
        """


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueRequest:
    document_id: str
    document_type: str
    language: str
    holder: CardHolder
    extract: RegisterExtract
    fee_cents: int | None = None
    """The fee charged for this certificate, printed on it (0: free)."""
    purpose: str = ""
    """What the resident said it is for, printed as "délivré pour servir à …"; empty: nothing."""
    order_reference: str = ""
    """The order (operation id) the document belongs to; its issuance is logged under it."""
    order_size: int = 1
    """How many documents the order holds (recovery tells "all delivered" from "part")."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedDocument:
    document_id: str
    document_type: str
    language: str
    pdf_path: Path
    sha256: str
    pages: int
    verification_code: str = ""
    """The code printed under the QR code (`XXXX-XXXX-XXXX`); "" when unknown."""
    sealed: bytes = field(default=b"", repr=False, compare=False)
    """The sealed PDF as printed, kept in memory for the session (the resident may have it
    e-mailed, `kiosk.flows.email`); b"" when not kept. Never written anywhere else."""


class IssuerPort(Protocol):
    def issue(self, request: IssueRequest) -> Future[IssuedDocument]:
        """Render and seal one certificate."""

    def check(self) -> Future[None]:
        """Check the seal token can seal now; fails with a typed error (`TokenError`) otherwise."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintOutcome:
    job_id: int
    completed: bool
    output_path: Path | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptItem:
    document_type: str
    document_id: str
    price_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptRequest:
    """What the payment receipt lists: the documents delivered and the terminal's slip lines."""

    operation_id: str
    language: str
    items: tuple[ReceiptItem, ...]
    terminal_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCheck:
    """A device's readiness before the resident commits (no personal data).

    `state` is a machine word ("ready", "paper_out", ...); `key` the translation key of the state.
    """

    ready: bool
    state: str
    key: str | None = None


class PrinterPort(Protocol):
    def print_document(self, document: IssuedDocument) -> Future[PrintOutcome]: ...

    def print_receipt(self, receipt: ReceiptRequest) -> Future[PrintOutcome]:
        """The payment receipt: on the receipt queue if configured, else a last A4 page."""

    def print_claim_slip(self, slip: ClaimSlip, *, language: str) -> Future[PrintOutcome]:
        """The resident's claim slip, translated into `language`."""

    def check(self) -> Future[DeviceCheck]:
        """Whether the printer can print now (paper out, jam, offline... are not ready)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuanceRecord:
    """What the central server is told about one completed or failed order (no personal data)."""

    operation_id: str
    kiosk_id: str
    outcome: str
    documents: tuple[str, ...]
    document_ids: tuple[str, ...]
    amount_cents: int
    payment_status: str
    receipt_number: str | None
    extra: dict[str, str] = field(default_factory=dict)
    document_codes: tuple[str, ...] = ()
    """The verification codes of `document_ids`, same order; () when any is unknown.

    A code is a prefix of the hash of the certified content, not personal data.
    """
    holder_ref: str | None = None
    """The central's keyed reference of the resident (from their extract), for "my requests"."""


class OutboxPort(Protocol):
    def record(self, record: IssuanceRecord) -> Future[None]:
        """Persist to the local outbox (delivery to the central server happens in the background)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffAlert:
    """Something only staff can fix; the kiosk goes out of service until they acknowledge it.

    `reason` is a machine word (`reversal_failed`, `payment_unknown`, `signer_unavailable`,
    `printer_unavailable`, `manual_review`); `key` the translation key shown to staff;
    `reference` the payment reference (an operation id) when money is involved.
    """

    reason: str
    key: str
    reference: str | None = None


class StoragePort(Protocol):
    def check(self) -> Future[DeviceCheck]:
        """Whether the kiosk's data and log folders can take an order's records (free space and a
        probe write); `state` is "ready", "low_space" or "not_writable"."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffCall:
    """A call to staff that leaves the kiosk in service: the resident pressed Help, or left the
    card behind. `kind` is "help_requested" or "card_left_behind", `screen` the session state,
    `reason` the machine word chosen (no personal data)."""

    kind: str
    screen: str
    reason: str


class StaffCallPort(Protocol):
    def call(self, call: StaffCall) -> Future[None]:
        """Hand the call to the central (on the next heartbeat, sent at once)."""
        ...


class CentralPort(Protocol):
    """Whether the central server answers (the register lives there), from the kiosk's own calls."""

    @property
    def reachable(self) -> bool: ...

    def watch(self, listener: Callable[[bool], None]) -> None:
        """`listener(reachable)` on each change, from any thread; one watcher, a new one replaces
        the last."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EarlierDocument:
    """A document the resident obtained before, as the central recorded it (no personal data but
    that it is theirs: shown to them only, after their card's proof)."""

    document_id: str
    document_type: str
    issued_at: datetime
    commune: str = ""
    verification_code: str = ""
    """As printed under the QR code (`XXXX-XXXX-XXXX`); "" when the central has none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EarlierDocuments:
    documents: tuple[EarlierDocument, ...]
    more: bool = False
    """The central holds older ones than these."""


class RequestsPort(Protocol):
    """The central's "my requests" (`central.citizen_services`)."""

    def citizen_requests(
        self, national_number: str, presence: Presence
    ) -> Future[EarlierDocuments]:
        """The documents the card's holder obtained, newest first, against a fresh `presence`."""
        ...


class MailPort(Protocol):
    """The central's "e-mail me the sealed PDF" (`central.citizen_services`)."""

    def email_document(
        self, *, document_id: str, address: str, language: str, pdf: bytes
    ) -> Future[None]:
        """Send `pdf` (the document just issued here) to `address`, once the document's record
        has reached the central; fails with a typed error (`SyncError`) saying why not."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliverable:
    """What the kiosk can deliver now, checked before the card is asked for (no personal data).

    `documents`: the printer can print and the seal can seal; `payment`: the terminal answers
    (without it only free documents are offered). `reason` is a machine word and `key` a
    translation key for staff when `documents` is False.
    """

    documents: bool
    payment: bool
    reason: str | None = None
    key: str | None = None


class DeliveryPort(Protocol):
    def check(self) -> Future[Deliverable]:
        """Printer, paper, seal and terminal together; never fails (a failure is not deliverable)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Ports:
    card: CardPort
    register: RegisterPort
    payment: PaymentPort
    issuer: IssuerPort
    printer: PrinterPort
    outbox: OutboxPort
    storage: StoragePort | None = None
    """Checked before each payment and while idle; None: not checked (tests of other parts)."""
    calls: StaffCallPort | None = None
    """Help and card-left calls to staff; None: only logged."""
    delivery: DeliveryPort | None = None
    """What can be delivered, checked when the language is chosen; None: not checked."""
    central: CentralPort | None = None
    """Whether the central answers; None: not watched (the kiosk never goes out of service for it)."""
    mail: MailPort | None = None
    """The sealed PDFs sent by e-mail through the central; None: not offered."""
    requests: RequestsPort | None = None
    """The resident's earlier documents, from the central; None: not offered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalogue:
    """The documents on offer and their price, from the configuration."""

    prices_cents: dict[str, int]
    languages: Sequence[str] = ("fr", "nl", "de", "en")

    def offer(self, holder: CardHolder, register: RegisterExtract) -> Offer:
        """The priced documents `holder` may ask for, and the others greyed with their reason.

        Eligibility is each document module's own declaration (`printing.documents`); the
        register's entry for the holder wins over the card (nationality, own address periods).
        """
        member = next(
            (m for m in register.members if m.national_number == holder.national_number), None
        )
        facts = RegisterFacts(
            nationality=member.nationality if member is not None else holder.nationality,
            household_size=len(register.members),
            history_periods=len(member.address_history) if member is not None else 0,
        )
        kinds = [CATALOGUE[key] for key in self.prices_cents if key in CATALOGUE]
        return offer(kinds, facts)

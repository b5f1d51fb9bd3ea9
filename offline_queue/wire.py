"""The sync messages exchanged between a kiosk and the central server.

This is the ONE definition of the wire format: the kiosk's outbox, its central client and the central
server all import these models, so that the two ends cannot drift. Every model carries a
`schema_version`; a change that an older peer cannot read bumps `SCHEMA_VERSION`.

Models are strict about their shape (`extra="forbid"`) and immutable. Messages about issued
documents never carry personal data: the register extract is the only message with personal data,
and it is never stored by the kiosk's outbox. Fields holding a national number are left out of
`repr()` so that a logged model cannot leak one.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from offline_queue import wire_citizen_services as _citizen_services

# re-exported (explicitly, for mypy): every message is imported from this module
from offline_queue.wire_base import NATIONAL_NUMBER_LIKE
from offline_queue.wire_base import SCHEMA_VERSION as SCHEMA_VERSION  # noqa: PLC0414
from offline_queue.wire_base import SchemaVersion as SchemaVersion  # noqa: PLC0414
from offline_queue.wire_base import WireModel as WireModel  # noqa: PLC0414
from offline_queue.wire_citizen import CitizenChallenge as CitizenChallenge  # noqa: PLC0414
from offline_queue.wire_citizen import CitizenProofWire as CitizenProofWire  # noqa: PLC0414
from offline_queue.wire_citizen import StaffProofAck as StaffProofAck  # noqa: PLC0414
from offline_queue.wire_citizen import StaffProofRequest as StaffProofRequest  # noqa: PLC0414
from offline_queue.wire_citizen_services import HolderRef
from offline_queue.wire_errors import MAX_ERROR_FIELDS as MAX_ERROR_FIELDS  # noqa: PLC0414
from offline_queue.wire_errors import ErrorBody as ErrorBody  # noqa: PLC0414
from offline_queue.wire_errors import ErrorCode as ErrorCode  # noqa: PLC0414
from offline_queue.wire_errors import FieldError as FieldError  # noqa: PLC0414
from offline_queue.wire_logs import LOGS_PATH as LOGS_PATH  # noqa: PLC0414
from offline_queue.wire_logs import MAX_LOG_TEXT_CHARS as MAX_LOG_TEXT_CHARS  # noqa: PLC0414
from offline_queue.wire_logs import LogUpload as LogUpload  # noqa: PLC0414
from offline_queue.wire_logs import LogUploadAck as LogUploadAck  # noqa: PLC0414
from offline_queue.wire_logs import LogUploadInfo as LogUploadInfo  # noqa: PLC0414
from offline_queue.wire_logs import LogUploadList as LogUploadList  # noqa: PLC0414
from offline_queue.wire_staff import StaffAuditAck as StaffAuditAck  # noqa: PLC0414
from offline_queue.wire_staff import StaffAuditBatch as StaffAuditBatch  # noqa: PLC0414
from offline_queue.wire_staff import StaffAuditEvent as StaffAuditEvent  # noqa: PLC0414

CitizenDocument = _citizen_services.CitizenDocument
CitizenRequests = _citizen_services.CitizenRequests
CitizenRequestsRequest = _citizen_services.CitizenRequestsRequest
DocumentEmailAck = _citizen_services.DocumentEmailAck
DocumentEmailRequest = _citizen_services.DocumentEmailRequest

MAX_BATCH_RECORDS = 500

Token = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
"""A short machine identifier (lower case): an outcome, a document type, a device state."""

Identifier = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
]
"""An operation id, kiosk id, document id or receipt number."""

NationalNumber = Annotated[str, Field(pattern=r"^[0-9]{11}$", repr=False)]
"""A Belgian national register number, 11 digits without separators."""

Text = Annotated[str, Field(min_length=1, max_length=200)]

_NATIONAL_NUMBER_LIKE = NATIONAL_NUMBER_LIKE


def contains_national_number(text: str) -> bool:
    """Whether `text` holds something written like a national number (see above)."""
    return _NATIONAL_NUMBER_LIKE.search(text) is not None


VERIFICATION_CODE_LENGTH: Final = 12
_VERIFICATION_CODE = re.compile(r"^[0-9a-f]{12}$")


def normalise_verification_code(text: str) -> str | None:
    """A document's verification code as 12 lower-case hex digits, or None if `text` is not one.

    Accepts the printed form (`1A2B-3C4D-5E6F`) and the QR code's `h` (`1a2b3c4d5e6f`): dashes and
    spaces are ignored, any case. The code is a prefix of the hash of the certified content, not
    personal data.
    """
    if len(text) > 32:
        return None
    compact = text.replace("-", "").replace(" ", "").lower()
    return compact if _VERIFICATION_CODE.match(compact) else None


def format_verification_code(code: str) -> str:
    """A normalised code in its printed form: `1A2B-3C4D-5E6F`."""
    upper = code.upper()
    return f"{upper[0:4]}-{upper[4:8]}-{upper[8:12]}"


class PaymentStatus(enum.StrEnum):
    """How the payment of an order ended, as reported to the central server."""

    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    NOT_REQUIRED = "not_required"


class IssuanceRecord(WireModel):
    """One completed, failed or cancelled order at a kiosk. Carries NO personal data.

    `documents` lists the document types of the order; `document_ids` lists the ids of the documents
    actually issued (the ids printed on the certificates and used by the public verification page).
    `document_codes`, when given, lists their verification codes in the same order (normalised to 12
    lower-case hex digits); older kiosks leave it empty.
    `extra` is for technical details only; a value that looks like a national number is refused.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    operation_id: Identifier
    kiosk_id: Identifier
    occurred_at: AwareDatetime
    outcome: Token
    documents: tuple[Token, ...] = ()
    document_ids: tuple[Identifier, ...] = ()
    document_codes: tuple[str, ...] = ()
    amount_cents: Annotated[int, Field(ge=0, le=100_000_00)]
    payment_status: PaymentStatus
    receipt_number: Identifier | None = None
    extra: dict[Token, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=16
    )
    holder_ref: HolderRef | None = None
    """The central's keyed hash of the resident (from their register extract), for "my requests";
    not personal data to the kiosk, which cannot reverse it."""

    @field_validator("extra")
    @classmethod
    def _no_national_number(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            if _NATIONAL_NUMBER_LIKE.search(text):
                raise ValueError("extra values must not contain personal identifiers")
        return value

    @field_validator("document_ids")
    @classmethod
    def _unique_document_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("document ids must be unique")
        return value

    @field_validator("document_codes")
    @classmethod
    def _verification_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(normalise_verification_code(code) for code in value)
        if any(code is None for code in codes):
            raise ValueError("a document code must be 12 hex digits")
        return tuple(code for code in codes if code is not None)

    @model_validator(mode="after")
    def _one_code_per_document(self) -> IssuanceRecord:
        if self.document_codes and len(self.document_codes) != len(self.document_ids):
            raise ValueError("document_codes must have one code per document id")
        return self


class RecordBatch(WireModel):
    """Records sent together by one kiosk. Every record's `kiosk_id` equals the batch's."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    batch_id: Identifier
    kiosk_id: Identifier
    records: tuple[IssuanceRecord, ...] = Field(min_length=1, max_length=MAX_BATCH_RECORDS)

    @model_validator(mode="after")
    def _consistent(self) -> RecordBatch:
        if any(record.kiosk_id != self.kiosk_id for record in self.records):
            raise ValueError("every record must come from the batch's kiosk")
        operation_ids = [record.operation_id for record in self.records]
        if len(set(operation_ids)) != len(operation_ids):
            raise ValueError("operation ids must be unique within a batch")
        return self


class BatchAck(WireModel):
    """The server's answer to a batch: which records are new and which it already had."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    batch_id: Identifier
    accepted: tuple[Identifier, ...] = ()
    duplicates: tuple[Identifier, ...] = ()


class DeviceHealth(WireModel):
    """The state of one device, with the figures the fleet console forecasts and alerts from.

    `state` is a Token (`ok`, `absent`, `fault`, `paper_low`, `busy`, ...). Only the fields that make
    sense for the device are set: a printer reports paper and pages, a terminal its last end of day,
    a signer its seal certificate's expiry.
    """

    state: Token
    detail: Token | None = None
    paper_level_pct: Annotated[int, Field(ge=0, le=100)] | None = None
    pages_left: Annotated[int, Field(ge=0)] | None = None
    pages_printed_total: Annotated[int, Field(ge=0)] | None = None
    last_end_of_day: AwareDatetime | None = None
    certificate_not_after: AwareDatetime | None = None


class DayCounters(WireModel):
    """Today's activity at the kiosk (local calendar day): no personal data."""

    day: date
    sessions: Annotated[int, Field(ge=0)] = 0
    documents: Annotated[int, Field(ge=0)] = 0
    revenue_cents: Annotated[int, Field(ge=0)] = 0
    payments_approved: Annotated[int, Field(ge=0)] = 0
    payments_reversed: Annotated[int, Field(ge=0)] = 0


class UpdateChannel(enum.StrEnum):
    STABLE = "stable"
    CANARY = "canary"


class CommandKind(enum.StrEnum):
    """What an operator can ask a kiosk to do; each runs once, between residents."""

    RESTART_APP = "restart_app"
    SYNC_NOW = "sync_now"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    PRINT_TEST_PAGE = "print_test_page"
    END_OF_DAY = "end_of_day"
    UPLOAD_LOGS = "upload_logs"
    RELOAD_CONFIG = "reload_config"
    ISSUE_MAINTENANCE_CODE = "issue_maintenance_code"


class CommandOutcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"


class Command(WireModel):
    """One queued operator command, delivered with a heartbeat acknowledgement.

    `command_id` makes it idempotent: a kiosk that already ran it reports the stored result again.
    `arguments` are short machine values (a reason, a code hash), never personal data.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    command_id: Identifier
    kind: CommandKind
    issued_at: AwareDatetime
    arguments: dict[Identifier, Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, max_length=16
    )


class CommandResult(WireModel):
    """What the kiosk did with a command: `POST /api/v1/commands/{command_id}/result`."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    command_id: Identifier
    kiosk_id: Identifier
    outcome: CommandOutcome
    finished_at: AwareDatetime
    detail: Annotated[str, Field(max_length=500)] = ""


class ResidentCallKind(enum.StrEnum):
    """Why a kiosk in service calls staff without leaving service."""

    HELP_REQUESTED = "help_requested"
    CARD_LEFT_BEHIND = "card_left_behind"


class ResidentCall(WireModel):
    """A resident pressed Help (with the screen and the reason chosen) or left their card behind.

    The kiosk stays in service; the call rides on the heartbeats until one is acknowledged.
    No personal data: the screen is a session state, the reason a machine word.
    """

    kind: ResidentCallKind
    screen: Token
    reason: Token
    raised_at: AwareDatetime


class Heartbeat(WireModel):
    """Periodic status of a kiosk: versions, device health, backlog and today's counters.

    `devices` is the short state of each device (kept for older readers); `health` carries the
    detail. `config_etag` is the configuration the kiosk runs, so the central sees a kiosk that
    refused a new one.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    version: Annotated[str, Field(min_length=1, max_length=64)]
    sent_at: AwareDatetime
    devices: dict[Identifier, Token] = Field(default_factory=dict, max_length=32)
    outbox_backlog: Annotated[int, Field(ge=0)] = 0
    mode: Token = "in_service"
    config_version: Annotated[str, Field(max_length=64)] = ""
    catalogue_version: Annotated[str, Field(max_length=64)] = ""
    config_etag: Annotated[str, Field(max_length=128)] = ""
    channel: UpdateChannel = UpdateChannel.STABLE
    uptime_s: Annotated[int, Field(ge=0)] = 0
    health: dict[Identifier, DeviceHealth] = Field(default_factory=dict, max_length=32)
    outbox_oldest_age_s: Annotated[int, Field(ge=0)] | None = None
    counters: DayCounters | None = None
    resident_calls: tuple[ResidentCall, ...] = Field(default=(), max_length=16)


class HeartbeatAck(WireModel):
    """The central's answer: when to call again, the commands waiting, the configuration's ETag.

    A kiosk whose `config_etag` differs from `config_etag` here fetches
    `GET /api/v1/kiosks/{kiosk_id}/config` with `If-None-Match`.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    received_at: AwareDatetime
    next_poll_seconds: Annotated[int, Field(ge=1, le=3600)]
    commands: tuple[Command, ...] = Field(default=(), max_length=32)
    config_etag: Annotated[str, Field(max_length=128)] = ""


class KioskConfigDocument(WireModel):
    """A kiosk's configuration as the central distributes it (`GET .../config`, with an ETag).

    `settings` holds the central-managed sections of `kiosk.toml` (documents offered, prices,
    languages, time-outs, staff allow-list, commune texts) with the same keys and the same validation
    as the file. The staff allow-list holds national numbers: this document is only ever sent over
    TLS to the kiosk it belongs to, and never logged.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    etag: Annotated[str, Field(min_length=1, max_length=128)]
    version: Annotated[str, Field(min_length=1, max_length=64)]
    settings: dict[str, object] = Field(repr=False)


class ConfigReport(WireModel):
    """Whether a kiosk applied a configuration: `POST /api/v1/kiosks/{kiosk_id}/config/report`."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    etag: Annotated[str, Field(min_length=1, max_length=128)]
    applied: bool
    reason: Annotated[str, Field(max_length=500)] = ""


class KioskStatus(WireModel):
    """The last heartbeat of one kiosk, as the server saw it."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    received_at: AwareDatetime
    heartbeat: Heartbeat


class KioskList(WireModel):
    """One page of kiosks in id order; `next_after` (the last id) asks for the next page."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosks: tuple[KioskStatus, ...]
    next_after: Identifier | None = None


class StoredRecord(WireModel):
    """A record as the server stored it; `seq` orders records and pages the listing."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    seq: Annotated[int, Field(ge=1)]
    received_at: AwareDatetime
    record: IssuanceRecord


class RecordPage(WireModel):
    schema_version: SchemaVersion = SCHEMA_VERSION
    records: tuple[StoredRecord, ...]
    next_after: int | None = None


class RegisterExtractRequest(WireModel):
    """Ask the population register about the resident holding this national number.

    The central releases the extract only with a fresh citizen proof naming that person.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    national_number: NationalNumber
    proof: CitizenProofWire | None = None


class WireAddress(WireModel):
    street: Text
    zip_code: Annotated[str, Field(min_length=1, max_length=16)]
    municipality: Text


class AddressPeriod(WireModel):
    address: WireAddress
    start: date
    end: date | None = None


class Sex(enum.StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


RegisterKind = Literal["population", "foreigners", "waiting"]


class RegisterMember(WireModel):
    national_number: NationalNumber
    surname: Text
    first_names: Text
    birth_date: date
    birth_place: Text
    sex: Sex
    nationality: Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Z]{2,3}$")]
    relation: Token
    address_history: tuple[AddressPeriod, ...] = ()
    """This person's own main residences (a child's start at the earliest at birth)."""
    noble_title: Annotated[str, Field(max_length=60)] = ""
    register_type: RegisterKind = "population"
    """Population register, foreigners' register or waiting register."""


class RegisterExtractResponse(WireModel):
    """What the population register says about a resident's household."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    household_id: Identifier
    address: WireAddress
    members: tuple[RegisterMember, ...] = Field(min_length=1)
    holder_ref: HolderRef | None = None
    """The central's keyed hash of the resident asked about, for their issuance records."""


# -- kiosk identity ---------------------------------------------------------------------------------

AUTH_NONCE_PATTERN: Final = r"^[0-9a-f]{32,64}$"


class EnrollmentRequest(WireModel):
    """A kiosk asks to be known: its id, its public key (PEM, EC P-256) and a one-time code."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    public_key_pem: Annotated[str, Field(min_length=1, max_length=1000)]
    enrollment_code: Annotated[str, Field(min_length=8, max_length=64, repr=False)]


class EnrollmentState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"


class EnrollmentStatus(WireModel):
    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    state: EnrollmentState


class AuthRequest(WireModel):
    """A request for a short-lived token, signed with the kiosk key.

    The signature (ECDSA P-256 with SHA-256, DER, base64) covers `auth_message()` of the fields;
    the timestamp must be recent and the nonce unused, so a recorded request cannot be replayed.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: Identifier
    timestamp: AwareDatetime
    nonce: Annotated[str, Field(pattern=AUTH_NONCE_PATTERN)]
    signature: Annotated[str, Field(min_length=1, max_length=200)]


def auth_message(*, kiosk_id: str, timestamp: str, nonce: str) -> bytes:
    """The bytes a kiosk signs to obtain a token (timestamp as sent, ISO 8601)."""
    return f"borne-kiosk-auth/1\n{kiosk_id}\n{timestamp}\n{nonce}".encode()


class AuthToken(WireModel):
    schema_version: SchemaVersion = SCHEMA_VERSION
    token: Annotated[str, Field(min_length=1, max_length=500, repr=False)]
    expires_at: AwareDatetime

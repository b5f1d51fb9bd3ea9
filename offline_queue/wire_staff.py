"""The staff audit's messages: each staff action at a kiosk, hash-chained per kiosk.

Part of the wire format; import them from `offline_queue.wire` like every other message.

An event's `prev_hash` is the SHA-256 (hex) of the previous event's canonical JSON
(`canonical_event_json`), the first event's is `GENESIS_HASH` (32 zero bytes). The central
recomputes every hash from what it received, so an event changed, removed or replayed with other
content after the fact breaks the chain where it happened. Events carry a pseudonymous staff id
and short machine words, never personal data.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AwareDatetime, Field, field_validator, model_validator

from offline_queue.wire_base import NATIONAL_NUMBER_LIKE, SCHEMA_VERSION, SchemaVersion, WireModel

GENESIS_HASH: Final = "00" * 32
"""The `prev_hash` of a kiosk's first staff event: 32 zero bytes."""
MAX_STAFF_EVENTS: Final = 200
"""At most this many events in one `StaffAuditBatch`."""
STAFF_AUDIT_OPERATION_PREFIX: Final = "staff-audit"

_HASH = r"^[0-9a-f]{64}$"
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
_WORD = r"^[a-z0-9][a-z0-9_.\-]*$"
_StaffId = Annotated[str, Field(min_length=1, max_length=128, pattern=_ID)]
_Word = Annotated[str, Field(min_length=1, max_length=64, pattern=_WORD)]
_Hash = Annotated[str, Field(pattern=_HASH)]


class StaffAuditEvent(WireModel):
    """One staff action at a kiosk (`seq` counts from 1 per kiosk, without gaps)."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: _StaffId
    seq: Annotated[int, Field(ge=1)]
    occurred_at: AwareDatetime
    actor: _StaffId
    role: _Word
    action: _Word
    detail: dict[_Word, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=16
    )
    prev_hash: _Hash

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("detail")
    @classmethod
    def _no_personal_data(cls, value: dict[str, str]) -> dict[str, str]:
        if any(NATIONAL_NUMBER_LIKE.search(text) for text in value.values()):
            raise ValueError("detail values must not contain personal identifiers")
        return value

    @property
    def operation_id(self) -> str:
        """The outbox key of this event: one per kiosk and sequence number."""
        return f"{STAFF_AUDIT_OPERATION_PREFIX}:{self.kiosk_id}:{self.seq}"


def canonical_event_json(event: StaffAuditEvent) -> bytes:
    """The bytes an event is hashed over: its JSON form, keys sorted, no spaces, UTF-8."""
    return json.dumps(
        event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def event_hash(event: StaffAuditEvent) -> str:
    """SHA-256 (hex) of `canonical_event_json(event)`: the next event's `prev_hash`."""
    return hashlib.sha256(canonical_event_json(event)).hexdigest()


class StaffAuditBatch(WireModel):
    """Staff events sent together by one kiosk, in sequence order: `POST /api/v1/staff-audit`."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: _StaffId
    events: tuple[StaffAuditEvent, ...] = Field(min_length=1, max_length=MAX_STAFF_EVENTS)

    @model_validator(mode="after")
    def _consistent(self) -> StaffAuditBatch:
        if any(event.kiosk_id != self.kiosk_id for event in self.events):
            raise ValueError("every event must come from the batch's kiosk")
        seqs = [event.seq for event in self.events]
        if len(set(seqs)) != len(seqs):
            raise ValueError("sequence numbers must be unique within a batch")
        return self


class StaffAuditAck(WireModel):
    """What the central did with each event: stored now, already held, or held with other content.

    Every sequence number listed is settled for the kiosk (a conflict is kept as evidence at the
    central, sending it again changes nothing). `chain_ok` is the kiosk's chain as the central
    sees it after this batch.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    accepted: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()
    conflicts: tuple[int, ...] = ()
    chain_ok: bool = True


class ChainBreak(enum.StrEnum):
    """How an event fails to follow the one before it."""

    SEQUENCE_GAP = "sequence_gap"
    """The event before it never arrived (removed, or lost)."""
    WRONG_PREVIOUS_HASH = "wrong_previous_hash"
    """The event before it is not the one this event was chained to (it was changed)."""
    REPLAYED_SEQ = "replayed_seq"
    """Its sequence number is already held with other content."""


def link_break(event: StaffAuditEvent, *, previous_hash: str | None) -> ChainBreak | None:
    """Whether `event` follows the event before it, whose hash is `previous_hash` (None: unknown)."""
    if event.seq == 1:
        return None if event.prev_hash == GENESIS_HASH else ChainBreak.WRONG_PREVIOUS_HASH
    if previous_hash is None:
        return ChainBreak.SEQUENCE_GAP
    return None if event.prev_hash == previous_hash else ChainBreak.WRONG_PREVIOUS_HASH


def chain_breaks(events: Sequence[StaffAuditEvent]) -> list[tuple[int, ChainBreak]]:
    """Where a kiosk's whole list of events (in any order) breaks its chain: (seq, why)."""
    hashes: dict[int, str] = {}
    found: list[tuple[int, ChainBreak]] = []
    for event in sorted(events, key=lambda e: e.seq):
        digest = event_hash(event)
        if event.seq in hashes:
            if hashes[event.seq] != digest:
                found.append((event.seq, ChainBreak.REPLAYED_SEQ))
            continue
        why = link_break(event, previous_hash=hashes.get(event.seq - 1))
        if why is not None:
            found.append((event.seq, why))
        hashes[event.seq] = digest
    return found

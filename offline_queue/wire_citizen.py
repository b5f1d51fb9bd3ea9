"""The citizen proof's messages: the central's nonce and the card's signature over it.

Part of the wire format; import them from `offline_queue.wire` like every other message.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AwareDatetime, Field

from offline_queue.wire_base import SCHEMA_VERSION, SchemaVersion, WireModel

CITIZEN_NONCE_PATTERN: Final = r"^[0-9a-f]{64}$"
STAFF_PROOF_PATH: Final = "/api/v1/staff/proof"
_NationalNumber = Annotated[str, Field(pattern=r"^[0-9]{11}$", repr=False)]
_Base64Der = Annotated[str, Field(min_length=1, max_length=8000, pattern=r"^[A-Za-z0-9+/]+={0,2}$")]


class CitizenChallenge(WireModel):
    """A single-use nonce for the card of the resident at this kiosk to sign (expires soon)."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    nonce: Annotated[str, Field(pattern=CITIZEN_NONCE_PATTERN)]
    expires_at: AwareDatetime


class CitizenProofWire(WireModel):
    """The card's signature over a `CitizenChallenge` nonce with the Authentication key.

    Base64 of the raw signature and of the DER certificates as read from the card.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    nonce: Annotated[str, Field(pattern=CITIZEN_NONCE_PATTERN)]
    signature: Annotated[str, Field(min_length=1, max_length=2000)]
    certificate: _Base64Der
    ca_certificate: _Base64Der
    applet_version: Annotated[int, Field(ge=0, le=255)]


class StaffProofRequest(WireModel):
    """A staff member's own card proves itself at the maintenance login: the same proof as a
    resident's, checked the same way, without any look into the population register."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    national_number: _NationalNumber
    proof: CitizenProofWire


class StaffProofAck(WireModel):
    """The proof held: the card is genuine and names this national number."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    proved: bool = True

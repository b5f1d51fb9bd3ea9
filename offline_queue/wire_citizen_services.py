"""Citizen services' messages: "e-mail me the sealed PDF" and "my requests".

Part of the wire format; import them from `offline_queue.wire` like every other message. The
e-mail address is checked by one rule (`offline_queue.email_address`), by the kiosk before it sends
and by the central when it receives; it is left out of `repr()` so that a logged model cannot leak
it.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field, field_validator

from offline_queue.email_address import EMAIL_MAX, EMAIL_PATTERN, email_address_problem
from offline_queue.wire_base import SCHEMA_VERSION, SchemaVersion, WireModel
from offline_queue.wire_citizen import CitizenProofWire

PDF_BASE64_MAX: Final = 8 * 1024 * 1024
"""Base64 of a sealed PDF: certificates are a few hundred kilobytes."""
HOLDER_REF_PATTERN: Final = r"^[0-9a-f]{64}$"


Language = Literal["fr", "nl", "de", "en"]
HolderRef = Annotated[str, Field(pattern=HOLDER_REF_PATTERN)]
"""The central's keyed hash of a resident's national number (opaque to the kiosk)."""


class DocumentEmailRequest(WireModel):
    """`POST /api/v1/documents/{document_id}/email`: send this sealed PDF to this address.

    The central keeps neither the address nor the PDF after the message has left.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    address: Annotated[
        str, Field(min_length=3, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN, repr=False)
    ]
    language: Language
    pdf: Annotated[
        str,
        Field(
            min_length=4, max_length=PDF_BASE64_MAX, pattern=r"^[A-Za-z0-9+/]+={0,2}$", repr=False
        ),
    ]
    """Base64 of the sealed PDF, exactly as printed."""

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if email_address_problem(value) is not None:
            raise ValueError("not an e-mail address")
        return value


class DocumentEmailAck(WireModel):
    """The message left the central for the resident's mail server."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    document_id: Annotated[str, Field(min_length=1, max_length=128)]
    status: Literal["sent"] = "sent"


class CitizenRequestsRequest(WireModel):
    """`POST /api/v1/citizens/requests`: the documents of the resident whose card signed `proof`."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    national_number: Annotated[str, Field(pattern=r"^[0-9]{11}$", repr=False)]
    proof: CitizenProofWire | None = None


class CitizenDocument(WireModel):
    """One document a resident obtained: what, when, where, and the code printed on it."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    document_id: Annotated[str, Field(min_length=1, max_length=128)]
    document_type: Annotated[str, Field(max_length=64)] | None = None
    issued_at: AwareDatetime
    kiosk_id: Annotated[str, Field(min_length=1, max_length=128)]
    commune: Annotated[str, Field(max_length=200)] | None = None
    verification_code: Annotated[str, Field(max_length=12)] | None = None


class CitizenRequests(WireModel):
    """The resident's documents, newest first (at most `limit`; `more` when some were left out)."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    documents: tuple[CitizenDocument, ...] = ()
    more: bool = False

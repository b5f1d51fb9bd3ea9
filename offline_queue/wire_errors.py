"""The central's error answers: one body for every refusal, never echoing the request."""

from __future__ import annotations

import enum
from typing import Annotated, Final

from pydantic import Field

from offline_queue.wire_base import SCHEMA_VERSION, SchemaVersion, WireModel


class ErrorCode(enum.StrEnum):
    """Machine-readable error codes of the central server's API."""

    UNAUTHORIZED = "auth.invalid_token"
    INVALID_REQUEST = "request.invalid"
    NOT_IN_REGISTER = "register.not_found"
    KIOSK_MISMATCH = "records.kiosk_mismatch"
    NOT_FOUND = "not_found"
    NOT_CONFIGURED = "not_configured"
    INTERNAL = "internal"
    STORE_UNAVAILABLE = "store.unavailable"
    TOO_LARGE = "request.too_large"
    PERSONAL_DATA = "request.personal_data"
    FORBIDDEN = "auth.forbidden"
    REPLAYED = "auth.replayed"
    ENROLLMENT_REFUSED = "enrollment.refused"
    DOCUMENT_ID_TAKEN = "records.document_id_taken"
    PROOF_REQUIRED = "register.proof_required"
    PROOF_REFUSED = "register.proof_refused"
    RATE_LIMITED = "request.rate_limited"
    MAIL_UNAVAILABLE = "mail.unavailable"
    DOCUMENT_MISMATCH = "document.mismatch"
    DOCUMENT_TOO_OLD = "document.too_old"


MAX_ERROR_FIELDS: Final = 20
"""At most this many field errors are listed in an `ErrorBody`; `fields_omitted` counts the rest."""


class FieldError(WireModel):
    """Where a request was invalid (the location of the field) and why, never the value sent."""

    loc: Annotated[str, Field(max_length=200)]
    type: Annotated[str, Field(max_length=64)]


class ErrorBody(WireModel):
    """Body of every error answer of the central server. Never echoes the request."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    code: str
    message: Annotated[str, Field(max_length=500)] = ""
    fields: Annotated[tuple[FieldError, ...], Field(max_length=MAX_ERROR_FIELDS)] = ()
    fields_omitted: Annotated[int, Field(ge=0)] = 0

"""Check a sealed certificate: intact, signed by a certificate chaining to the municipal root."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from printing.errors import VerificationError

_log = logging.getLogger(__name__)

REASON_OK = "documents.verify.ok"
REASON_NO_SEAL = "documents.verify.no_seal"
REASON_UNREADABLE = "documents.verify.unreadable"
REASON_ALTERED = "documents.verify.altered"
REASON_MODIFIED_AFTER = "documents.verify.modified_after_seal"
REASON_UNTRUSTED = "documents.verify.untrusted"
REASON_INVALID = "documents.verify.invalid"


@dataclass(frozen=True, slots=True, kw_only=True)
class SealCheck:
    valid: bool
    """Intact, trusted, cryptographically valid and covering the whole file."""
    intact: bool
    trusted: bool
    signer_subject: str | None
    document_id: str | None
    signed_at: datetime | None
    reason: str
    """A translation key: documents.verify.ok / altered / untrusted / no_seal / ..."""
    timestamped: bool = False
    """A valid, trusted RFC 3161 signature time-stamp is attached (PAdES B-T)."""
    timestamp_at: datetime | None = None


@cache
def _load_root(path: Path) -> x509.Certificate:
    raw = path.read_bytes()
    if pem.detect(raw):
        _, _, raw = pem.unarmor(raw)
    return x509.Certificate.load(raw)


def load_trust_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    try:
        return [_load_root(p.resolve()) for p in paths]
    except (OSError, ValueError) as err:
        raise VerificationError(
            "cannot read the trust roots", translation_key="documents.error.trust_roots"
        ) from err


def _document_id(data: bytes, sig: Any) -> str | None:
    """The /DocumentID of the Info dictionary as it was in the sealed revision.

    Read from the bytes the seal covers (up to the end of its /ByteRange), so that an update
    appended after sealing cannot change what is reported.
    """
    try:
        byte_range = [int(v) for v in sig.sig_object["/ByteRange"]]
        signed = data[: byte_range[2] + byte_range[3]]
        info = PdfFileReader(BytesIO(signed), strict=False).trailer["/Info"]
        value = info.get_object().get("/DocumentID")
    except (PdfError, KeyError, ValueError, IndexError):
        return None
    return None if value is None else str(value)


def _unreadable(reason: str) -> SealCheck:
    return SealCheck(
        valid=False,
        intact=False,
        trusted=False,
        signer_subject=None,
        document_id=None,
        signed_at=None,
        reason=reason,
    )


def verify_pdf(data: bytes, *, trust_roots: Sequence[Path]) -> SealCheck:
    """Validate the (first) seal of `data` against `trust_roots`, offline, without revocation data."""
    roots = load_trust_roots(trust_roots)
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, IndexError) as err:
        _log.info("document unreadable", extra={"error": str(err)})
        return _unreadable(REASON_UNREADABLE)
    except Exception as err:  # noqa: BLE001 (hostile input: the parser may fail in any way)
        _log.info("document unreadable", extra={"error": f"{type(err).__name__}: {err}"})
        return _unreadable(REASON_UNREADABLE)
    if not signatures:
        return _unreadable(REASON_NO_SEAL)
    sig = signatures[0]
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(sig, context)
    except (SignatureValidationError, PdfError, ValueError) as err:
        _log.info("seal validation failed", extra={"error": str(err)})
        return _unreadable(REASON_ALTERED)
    except Exception as err:  # noqa: BLE001 (a damaged seal may break the validator in any way)
        _log.info("seal validation failed", extra={"error": f"{type(err).__name__}: {err}"})
        return _unreadable(REASON_ALTERED)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(status.intact and status.valid and status.trusted and whole_file)
    if valid:
        reason = REASON_OK
    elif not status.intact:
        reason = REASON_ALTERED
    elif not status.trusted:
        reason = REASON_UNTRUSTED
    elif not whole_file:
        reason = REASON_MODIFIED_AFTER
    else:
        reason = REASON_INVALID
    ts = status.timestamp_validity
    timestamped = bool(ts is not None and ts.intact and ts.valid and ts.trusted)
    cert = status.signing_cert
    document_id = _document_id(data, sig) if status.intact else None
    check = SealCheck(
        valid=valid,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        signer_subject=str(cert.subject.human_friendly) if cert is not None else None,
        document_id=document_id,
        signed_at=status.signer_reported_dt,
        reason=reason,
        timestamped=timestamped,
        timestamp_at=ts.timestamp if ts is not None else None,
    )
    _log.info(
        "seal checked",
        extra={"document_id": document_id, "valid": valid, "reason": reason},
    )
    return check

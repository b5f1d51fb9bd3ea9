"""Typed errors of the document pipeline (render, seal, verify, print)."""

from __future__ import annotations

from hardware.errors import BorneError, DeviceError, DeviceUnavailable


class DocumentError(BorneError):
    """A certificate could not be rendered (unknown type, language or missing data)."""

    translation_key = "documents.error.render"


class RegisterDataError(DocumentError):
    """The register holds data a certificate must not certify (e.g. an address before birth).

    A register error for staff to correct, never printed; `params["field"]` names the bad entry.
    """

    translation_key = "documents.error.register_data"


class PkiError(BorneError):
    """The municipal test PKI could not be created or read."""

    translation_key = "documents.error.pki"


class TokenError(DeviceError):
    """The seal token (PKCS#11) is missing, locked or does not hold the seal key."""

    translation_key = "documents.error.seal_token"

    def __init__(self, message: str, *, translation_key: str | None = None) -> None:
        super().__init__(message, device="seal-token", translation_key=translation_key)


class SigningError(BorneError):
    """The seal could not be applied to a document."""

    translation_key = "documents.error.seal"


class VerificationError(BorneError):
    """A document could not be read for verification (not a PDF, no signature)."""

    translation_key = "documents.error.verify"


class PrinterError(DeviceError):
    """The printing system refused or lost a job."""

    translation_key = "printing.error.generic"

    def __init__(
        self,
        message: str,
        *,
        translation_key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, device="printer", translation_key=translation_key, params=params)


class CupsdStartError(DeviceUnavailable):
    """The private cupsd did not start; the message carries the tail of its log."""

    translation_key = "printing.error.cupsd_start"

    def __init__(self, message: str, *, log_tail: str) -> None:
        super().__init__(
            f"cupsd: {message}\n{log_tail}",
            device="cupsd",
            recoverable=False,
            params={"log_tail": log_tail},
        )
        self.log_tail = log_tail

"""Apply the municipal electronic seal: PAdES baseline B-B (B-T with a TSA), invisible, key in the token.

When a time-stamping authority URL is configured, the seal carries an RFC 3161 signature time-stamp
(PAdES B-T). If the TSA cannot be reached, the seal falls back to B-B with a warning in the log,
unless `require_timestamp=True`, in which case a typed `SigningError` withholds the document.
"""

from __future__ import annotations

import logging
import time
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from printing.errors import SigningError, TokenError
from printing.pkcs11_signer import Pkcs11SealSigner, TokenHealth
from printing.token import TokenConfig

_log = logging.getLogger(__name__)

SEAL_FIELD = "SealCommune"
DOCUMENT_ID_KEY = "/DocumentID"
SEAL_REASON = (
    "Sceau électronique de la commune / Elektronisch zegel van de gemeente"
    " / Elektronisches Siegel der Gemeinde"
)
"""The seal's Reason field, in the three national languages (a viewer shows it as is)."""
BYTES_RESERVED = 16384
"""Room for the CMS blob; skips pyHanko's dry-run sizing pass (B-B with a short chain fits easily)."""
BYTES_RESERVED_TIMESTAMPED = 32768
"""B-T adds the TSA's token and certificates to the CMS blob."""


class _PdfA2Signer(signers.PdfSigner):
    """A PAdES signer that keeps the document a PDF 1.7 file PDF/A-2 accepts.

    pyHanko declares the ESIC developer extension for PAdES, and raises the version to 2.0 with the
    ISO 32002 extension for ECDSA on the NIST curves. PDF/A-2 is based on PDF 1.7 and knows neither
    extension; the signature itself (ETSI.CAdES.detached, SHA-256) is valid PDF 1.7.
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        pdf_out.ensure_output_version(version=(1, 7))  # type: ignore[no-untyped-call]


class Sealer:
    """Seals rendered certificates. One instance per process; the token session is reused."""

    def __init__(
        self,
        config: TokenConfig,
        *,
        location: str = "Démo-sur-Meuse",
        tsa_url: str | None = None,
        tsa_timeout: float = 5.0,
        require_timestamp: bool = False,
    ) -> None:
        self._token_signer = Pkcs11SealSigner.shared(config)
        self._configure(
            signer=self._token_signer,
            key="token",
            location=location,
            tsa_url=tsa_url,
            tsa_timeout=tsa_timeout,
            require_timestamp=require_timestamp,
        )

    def _configure(
        self,
        *,
        signer: Signer,
        key: str,
        location: str,
        tsa_url: str | None,
        tsa_timeout: float,
        require_timestamp: bool,
    ) -> None:
        """What every sealer shares; `key` says where the key lives, for the log."""
        self._signer: Signer = signer
        self._key = key
        self._location = location
        self._timestamper = (
            RequestsHTTPTimeStamper(tsa_url, timeout=tsa_timeout)  # type: ignore[no-untyped-call]
            if tsa_url
            else None
        )
        self._require_timestamp = require_timestamp

    @property
    def timestamping(self) -> bool:
        return self._timestamper is not None

    def preflight(self) -> TokenHealth:
        """Check the token can seal now: present, logged in, certificate valid, a test signature.

        Raises `TokenError` (translation keys `documents.error.seal_token_missing`,
        `documents.error.seal_token_login`, `documents.error.seal_certificate_expired`,
        `documents.error.seal_token`) so the kiosk withholds documents and alerts staff.
        """
        health = self._token_signer.health()
        if not health.token_present:
            raise TokenError(
                "seal token not present", translation_key="documents.error.seal_token_missing"
            )
        if not health.logged_in:
            raise TokenError(
                "seal token session not logged in",
                translation_key="documents.error.seal_token_login",
            )
        if (health.days_left or 0) <= 0:
            raise TokenError(
                "seal certificate expired",
                translation_key="documents.error.seal_certificate_expired",
            )
        self._token_signer.sign_bytes(b"borne preflight", digest_algorithm="sha256")
        return health

    @property
    def signer(self) -> Signer:
        """The pyHanko signer holding the seal key."""
        return self._signer

    def seal(self, pdf: bytes, *, document_id: str) -> bytes:
        """Return `pdf` with the seal appended as an incremental update.

        The PDF must carry `document_id` in its Info dictionary (the renderer writes it); a mismatch
        means the wrong document is about to be sealed, and nothing is signed.
        """
        started = time.perf_counter()
        writer = _writer_for(pdf, document_id=document_id)
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=SEAL_REASON,
            location=self._location,
            contact_info=f"document {document_id}",
        )
        try:
            out, level = self._sign(writer, meta, pdf=pdf, document_id=document_id)
        except (PdfError, PyHankoSigningError, ValueError) as err:
            raise SigningError(f"sealing failed: {err}") from err
        _log.info(
            "document sealed",
            extra={
                "document_id": document_id,
                "level": level,
                "key": self._key,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": out.tell(),
            },
        )
        return out.getvalue()

    def _sign(
        self,
        writer: IncrementalPdfFileWriter,
        meta: signers.PdfSignatureMetadata,
        *,
        pdf: bytes,
        document_id: str,
    ) -> tuple[BytesIO, str]:
        """The sealed PDF and its PAdES level: B-T with a time-stamp, else B-B (if allowed)."""
        out = BytesIO()
        if self._timestamper is not None:
            try:
                _PdfA2Signer(meta, signer=self._signer, timestamper=self._timestamper).sign_pdf(
                    writer, output=out, bytes_reserved=BYTES_RESERVED_TIMESTAMPED
                )
                return out, "B-T"
            except (TimestampRequestError, OSError) as err:
                if self._require_timestamp:
                    raise SigningError(
                        f"time-stamping authority unavailable: {err}",
                        translation_key="documents.error.tsa",
                    ) from err
                _log.warning(
                    "time-stamping authority unavailable, sealing without time-stamp (B-B)",
                    extra={"document_id": document_id, "error": str(err)},
                )
                writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
                out = BytesIO()
        _PdfA2Signer(meta, signer=self._signer).sign_pdf(
            writer, output=out, bytes_reserved=BYTES_RESERVED
        )
        return out, "B-B"


def _writer_for(pdf: bytes, *, document_id: str) -> IncrementalPdfFileWriter:
    """An incremental writer over `pdf`, once its Info dictionary names `document_id`."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        info = writer.trailer["/Info"]
        found = str(info.get(DOCUMENT_ID_KEY, "")) if info is not None else ""
    except (PdfError, KeyError, ValueError) as err:
        raise SigningError(
            "not a readable PDF", translation_key="documents.error.seal_input"
        ) from err
    if found != document_id:
        raise SigningError(
            f"document id mismatch: expected {document_id!r}, PDF says {found!r}",
            translation_key="documents.error.seal_input",
        )
    return writer

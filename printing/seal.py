"""Apply the municipal electronic seal: PAdES baseline B-B, invisible, key in the token."""

from __future__ import annotations

import logging
import time
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError

from printing.errors import SigningError
from printing.pkcs11_signer import Pkcs11SealSigner
from printing.softhsm import TokenConfig

_log = logging.getLogger(__name__)

SEAL_FIELD = "SealCommune"
DOCUMENT_ID_KEY = "/DocumentID"
SEAL_REASON = "Sceau électronique de la commune / Elektronisch zegel van de gemeente"
BYTES_RESERVED = 16384
"""Room for the CMS blob; skips pyHanko's dry-run sizing pass (B-B with a short chain fits easily)."""


class Sealer:
    """Seals rendered certificates. One instance per process; the token session is reused."""

    def __init__(self, config: TokenConfig, *, location: str = "Démo-sur-Meuse") -> None:
        self._signer = Pkcs11SealSigner.shared(config)
        self._location = location

    @property
    def signer(self) -> Pkcs11SealSigner:
        return self._signer

    def seal(self, pdf: bytes, *, document_id: str) -> bytes:
        """Return `pdf` with the seal appended as an incremental update.

        The PDF must carry `document_id` in its Info dictionary (the renderer writes it); a mismatch
        means the wrong document is about to be sealed, and nothing is signed.
        """
        started = time.perf_counter()
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
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=SEAL_REASON,
            location=self._location,
            contact_info=f"document {document_id}",
        )
        out = BytesIO()
        try:
            signers.PdfSigner(meta, signer=self._signer).sign_pdf(
                writer, output=out, bytes_reserved=BYTES_RESERVED
            )
        except (PdfError, PyHankoSigningError, ValueError) as err:
            raise SigningError(f"sealing failed: {err}") from err
        _log.info(
            "document sealed",
            extra={
                "document_id": document_id,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": out.tell(),
            },
        )
        return out.getvalue()

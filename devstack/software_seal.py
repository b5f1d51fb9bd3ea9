"""A seal whose key is a PEM file: the demo's fallback on machines without SoftHSM2. DEMO ONLY.

The key is the TEST municipal seal key made by `devstack.demo_pki` (the very file SoftHSM2 imports
into its token), read into this process and signed with by pyHanko's `SimpleSigner`. The sealed
PDFs verify against the same TEST root as token-sealed ones. A key in a file can be copied; no
kiosk may ever seal with one, so this refuses anything but the TEST PKI's seal certificate and says
so loudly in the log when it is created and at preflight; every "document sealed" log line
names the key as `software (demo only)`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pyhanko.sign import signers

from devstack.demo_pki import SEAL_COMMON_NAME, MunicipalPki
from printing.errors import SigningError, TokenError
from printing.pkcs11_signer import TokenHealth
from printing.seal import Sealer

_log = logging.getLogger(__name__)

DEMO_KEY = "software (demo only)"


class SoftwareSealer(Sealer):
    """`Sealer` with the TEST seal key read from its PEM file instead of a PKCS#11 token."""

    def __init__(
        self,
        *,
        pki: MunicipalPki,
        location: str = "Démo-sur-Meuse",
        tsa_url: str | None = None,
        tsa_timeout: float = 5.0,
        require_timestamp: bool = False,
    ) -> None:
        certificate = pki.seal_certificate()
        names = [a.value for a in certificate.subject]
        if SEAL_COMMON_NAME not in names:
            raise TokenError(
                "the software seal only takes the TEST municipal seal key",
                translation_key="documents.error.seal_token",
            )
        try:
            signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
                key_file=str(pki.seal_key_path),
                cert_file=str(pki.seal_cert_path),
                ca_chain_files=(str(pki.root_cert_path),),
            )
        except (OSError, ValueError) as err:
            raise TokenError(
                f"cannot load the demo seal key from {pki.out_dir}",
                translation_key="documents.error.seal_token_missing",
            ) from err
        if signer is None:
            raise TokenError(
                f"cannot load the demo seal key from {pki.out_dir}",
                translation_key="documents.error.seal_token_missing",
            )
        self._simple_signer = signer
        self._not_after = certificate.not_valid_after_utc
        self._subject = certificate.subject.rfc4514_string()
        self._configure(
            signer=signer,
            key=DEMO_KEY,
            location=location,
            tsa_url=tsa_url,
            tsa_timeout=tsa_timeout,
            require_timestamp=require_timestamp,
        )
        _log.warning(
            "SOFTWARE SEAL KEY IN USE: demo-only TEST key read from a file, not from a token",
            extra={"key_file": str(pki.seal_key_path)},
        )

    def preflight(self) -> TokenHealth:
        """Certificate still valid and a test signature with the file key (no token to look at)."""
        days_left = (self._not_after - datetime.now(tz=UTC)).days
        if days_left <= 0:
            raise TokenError(
                "seal certificate expired",
                translation_key="documents.error.seal_certificate_expired",
            )
        try:
            self._simple_signer.sign_raw(b"borne preflight", "sha256")
        except ValueError as err:
            raise SigningError(f"the demo seal key cannot sign: {err}") from err
        _log.warning(
            "SOFTWARE SEAL KEY: documents are sealed with a demo-only key",
            extra={"subject": self._subject, "days_left": days_left},
        )
        return TokenHealth(
            token_present=True,
            logged_in=True,
            certificate_subject=self._subject,
            certificate_not_after=self._not_after,
            days_left=days_left,
        )

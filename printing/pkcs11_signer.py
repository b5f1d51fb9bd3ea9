"""A pyHanko signer whose key stays in a PKCS#11 token, driven through PyKCS11.

The session is opened and logged in once per process and reused (opening it costs a few ms, signing
is the cheap part). The digest is computed in Python and the token signs with a raw mechanism:
`CKM_ECDSA` for EC keys (its r‖s output is re-encoded as DER) or `CKM_SHAxxx_RSA_PKCS` for RSA.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import PyKCS11
from asn1crypto import algos, x509
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from printing.errors import TokenError
from printing.token import TokenConfig, find_slot, load_module

_log = logging.getLogger(__name__)

_RSA_MECHANISMS: dict[str, int] = {
    "sha256": PyKCS11.CKM_SHA256_RSA_PKCS,
    "sha384": PyKCS11.CKM_SHA384_RSA_PKCS,
    "sha512": PyKCS11.CKM_SHA512_RSA_PKCS,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenHealth:
    token_present: bool
    logged_in: bool
    certificate_subject: str
    certificate_not_after: datetime | None
    days_left: int | None

    @property
    def ok(self) -> bool:
        return self.token_present and self.logged_in and (self.days_left or 0) > 0


class _Session:
    """One logged-in session and the handles of the seal key and certificates."""

    def __init__(self, config: TokenConfig) -> None:
        lib = load_module(config)
        slot = find_slot(lib, config.token_label)
        if slot is None:
            raise TokenError(
                f"token {config.token_label!r} not present",
                translation_key="documents.error.seal_token_missing",
            )
        try:
            self.session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
            self.session.login(config.user_pin)
        except PyKCS11.PyKCS11Error as err:
            # The message names the PKCS#11 return code only, never the PIN.
            wrong_pin = err.value in (PyKCS11.CKR_PIN_INCORRECT, PyKCS11.CKR_PIN_LEN_RANGE)
            locked = err.value == PyKCS11.CKR_PIN_LOCKED
            raise TokenError(
                f"cannot log in to token {config.token_label!r}: {err}",
                translation_key="documents.error.seal_pin"
                if wrong_pin
                else "documents.error.seal_pin_locked"
                if locked
                else "documents.error.seal_token_login",
            ) from err
        key_id = tuple(config.key_id)
        keys = self.session.findObjects(
            [(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_ID, key_id)]
        )
        if len(keys) != 1:
            raise TokenError(
                f"expected one seal key with id {config.key_id.hex()}, found {len(keys)}"
            )
        self.key = keys[0]
        self.certificates: list[x509.Certificate] = []
        self.signing_cert: x509.Certificate | None = None
        for handle in self.session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE)]):
            value, obj_id = self.session.getAttributeValue(
                handle, [PyKCS11.CKA_VALUE, PyKCS11.CKA_ID], allAsBinary=True
            )
            cert = x509.Certificate.load(bytes(value))
            if tuple(obj_id) == key_id:
                self.signing_cert = cert
            else:
                self.certificates.append(cert)
        if self.signing_cert is None:
            raise TokenError(f"no certificate with id {config.key_id.hex()} on the token")

    def close(self) -> None:
        try:
            self.session.logout()
            self.session.closeSession()
        except PyKCS11.PyKCS11Error:
            _log.debug("seal session already gone")


class Pkcs11SealSigner(Signer):
    """pyHanko `Signer` over PyKCS11. Thread-safe: signing is serialised on one session."""

    _shared: ClassVar[dict[TokenConfig, Pkcs11SealSigner]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, config: TokenConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._session = _Session(config)
        self._cert: Any = self._session.signing_cert
        registry = SimpleCertificateStore.from_certs(self._session.certificates)  # type: ignore[no-untyped-call]
        super().__init__(
            signing_cert=self._cert,
            cert_registry=registry,
            embed_roots=True,
        )

    @classmethod
    def shared(cls, config: TokenConfig) -> Pkcs11SealSigner:
        """The process-wide signer for `config` (the key handle is looked up once)."""
        with cls._shared_lock:
            signer = cls._shared.get(config)
            if signer is None:
                signer = cls(config)
                cls._shared[config] = signer
            return signer

    @property
    def key_algorithm(self) -> str:
        return str(self._cert.public_key.algorithm)

    def _placeholder_size(self) -> int:
        if self.key_algorithm == "rsa":
            return int(self._cert.public_key.bit_size) // 8
        return 2 * ((int(self._cert.public_key.bit_size) + 7) // 8) + 8

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._placeholder_size())
        return self.sign_bytes(data, digest_algorithm=digest_algorithm)

    def sign_bytes(self, data: bytes, *, digest_algorithm: str) -> bytes:
        """Sign `data` (hashed here with `digest_algorithm`); returns a CMS-ready signature value."""
        digest_algorithm = digest_algorithm.lower()
        with self._lock:
            try:
                return self._sign_locked(data, digest_algorithm)
            except PyKCS11.PyKCS11Error as err:
                _log.warning("seal token error, reopening the session", extra={"error": str(err)})
                self._session.close()
                try:
                    self._session = _Session(self._config)
                    return self._sign_locked(data, digest_algorithm)
                except PyKCS11.PyKCS11Error as again:
                    raise TokenError(f"token signing failed: {again}") from again

    def _sign_locked(self, data: bytes, digest_algorithm: str) -> bytes:
        session = self._session
        if self.key_algorithm == "ec":
            digest = hashlib.new(digest_algorithm, data).digest()
            raw = bytes(
                session.session.sign(
                    session.key, digest, PyKCS11.Mechanism(PyKCS11.CKM_ECDSA, None)
                )
            )
            return bytes(algos.DSASignature.from_p1363(raw).dump())
        mechanism = _RSA_MECHANISMS.get(digest_algorithm)
        if mechanism is None:
            raise TokenError(f"unsupported digest {digest_algorithm} for an RSA seal")
        return bytes(session.session.sign(session.key, data, PyKCS11.Mechanism(mechanism, None)))

    def health(self) -> TokenHealth:
        cert = self._cert
        not_after: datetime = cert.not_valid_after
        subject = str(cert.subject.human_friendly)
        lib = load_module(self._config)
        present = find_slot(lib, self._config.token_label) is not None
        logged_in = False
        if present:
            with self._lock:
                try:
                    info = self._session.session.getSessionInfo()
                    logged_in = info.state in (
                        PyKCS11.CKS_RO_USER_FUNCTIONS,
                        PyKCS11.CKS_RW_USER_FUNCTIONS,
                    )
                except PyKCS11.PyKCS11Error:
                    logged_in = False
        days_left = (not_after - datetime.now(tz=UTC)).days
        return TokenHealth(
            token_present=present,
            logged_in=logged_in,
            certificate_subject=subject,
            certificate_not_after=not_after,
            days_left=days_left,
        )

    def close(self) -> None:
        with self._lock:
            self._session.close()

"""The kiosk's own key as the central knows it, and the token request signed with it.

The key lives in the kiosk's PKCS#11 token (`kiosk.adapters.kiosk_key`) or, as the announced
fallback, in a software key file only the kiosk's user can read.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from offline_queue.wire import AuthRequest, auth_message

logger = logging.getLogger(__name__)


class KioskKey(Protocol):
    """The kiosk's own EC P-256 key: in its PKCS#11 token, or a software key file (fallback)."""

    def public_key_pem(self) -> str: ...

    def sign(self, message: bytes) -> bytes:
        """ECDSA with SHA-256 over `message`, DER-encoded."""


class SoftwareKioskKey:
    """The announced fallback: a P-256 key in a PEM file only the kiosk's user can read (0600)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    @classmethod
    def load_or_create(cls, path: Path) -> SoftwareKioskKey:
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise PermissionError(f"kiosk key file {path} must be 0600, not {mode:04o}")
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"kiosk key file {path} does not hold an EC key")
            return cls(key)
        key = ec.generate_private_key(ec.SECP256R1())
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        logger.warning(
            "kiosk key kept in a software file (no PKCS#11 token)", extra={"path": str(path)}
        )
        return cls(key)

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))


def signed_auth_request(
    key: KioskKey, *, kiosk_id: str, now: datetime | None = None
) -> AuthRequest:
    """A token request for `kiosk_id`, with a fresh nonce, signed with the kiosk key."""
    at = (now or datetime.now(tz=UTC)).replace(microsecond=0)
    nonce = secrets.token_hex(16)
    message = auth_message(kiosk_id=kiosk_id, timestamp=at.isoformat(), nonce=nonce)
    signature = base64.b64encode(key.sign(message)).decode()
    return AuthRequest(kiosk_id=kiosk_id, timestamp=at, nonce=nonce, signature=signature)

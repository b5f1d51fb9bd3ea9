"""Every staff action goes through one audit callable, `StaffAuditSink.record`.

`actor` is a pseudonymous staff id (`staff_pseudonym`), never a national number; `detail` holds
short machine values (no personal data). `LogAuditSink` writes each event as a structured log
line; the hash-chained store synced to the central implements the same Protocol.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Protocol

log = logging.getLogger(__name__)

CODE_ACTOR: Final = "maintenance-code"
"""The actor of a login with the one-time maintenance code (the code names nobody)."""
UNKNOWN_ACTOR: Final = "unknown"
"""The actor of a refused login (the card was not a staff card, or nothing was read)."""
NO_ROLE: Final = "none"
"""The role of a refused login (the staff audit takes one word, never an empty role)."""


class StaffAuditSink(Protocol):
    def record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        """Keep one staff action; must not raise for a well-formed event."""
        ...


class LogAuditSink:
    """Each event as one structured log line `staff_audit`."""

    def record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        log.info(
            "staff_audit",
            extra={
                "actor": actor,
                "role": role,
                "action": action,
                "detail": dict(detail),
            },
        )


class Pseudonyms:
    """Staff ids derived from the national number with this kiosk's secret key (HMAC-SHA-256).

    The key lives in `key_file` (created 0600 on first use); the same person gets the same id on
    this kiosk, and without the key the id does not lead back to the number.
    """

    def __init__(self, key_file: Path | None) -> None:
        self._key_file = key_file
        self._key: bytes | None = None

    def _load(self) -> bytes:
        if self._key is not None:
            return self._key
        if self._key_file is None:
            self._key = secrets.token_bytes(32)  # ids stable for this process only
            return self._key
        try:
            key = self._key_file.read_bytes()
        except FileNotFoundError:
            key = b""
        if len(key) < 32:
            key = secrets.token_bytes(32)
            self._key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(key)
        self._key = key
        return key

    def of(self, national_number: str) -> str:
        digest = hmac.new(self._load(), national_number.encode(), hashlib.sha256).hexdigest()
        return f"staff-{digest[:16]}"

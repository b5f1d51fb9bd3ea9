"""Staff login: a one-time maintenance code checked against a scrypt hash from the configuration.

The configuration holds `staff.maintenance_code_hash` as `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`
(`python -m kiosk staff-hash` makes one). A code that was accepted once is refused afterwards: its
hash is remembered in the `used` file, so the operator issues a fresh code for the next visit.
Wrong codes are rate-limited (a lock-out that doubles after every third failure). Log lines say
what happened, never the code nor its length.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hardware.errors import BorneError
from kiosk.maintenance.audit import UNKNOWN_ACTOR, StaffAuditSink

log = logging.getLogger(__name__)

SCHEME = "scrypt"
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
FAILURES_BEFORE_LOCK = 3
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0
CODE_ROLE = "technician"
"""A one-time maintenance code is issued to a technician."""
NO_ROLE = "none"
FLEET_ACTOR = "central"
FLEET_ROLE = "fleet"


class StaffCodeFormatError(BorneError):
    """`staff.maintenance_code_hash` is not a scrypt hash this module can check."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, text: str) -> CodeHash:
        parts = text.split("$")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise StaffCodeFormatError("expected scrypt$n$r$p$salt$hash")
        try:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        except ValueError as err:
            raise StaffCodeFormatError("numbers and hex expected") from err
        if n < 2**14 or n & (n - 1) or r < 1 or p < 1 or len(salt) < 16 or len(digest) < 32:
            raise StaffCodeFormatError("n a power of two >= 16384, salt >= 16 and hash >= 32 bytes")
        return cls(n=n, r=r, p=p, salt=salt, digest=digest)

    def matches(self, code: str) -> bool:
        candidate = _scrypt(
            code, salt=self.salt, n=self.n, r=self.r, p=self.p, size=len(self.digest)
        )
        return hmac.compare_digest(candidate, self.digest)

    def fingerprint(self) -> str:
        """Names this code in the `used` file without revealing anything about it."""
        return hashlib.sha256(self.salt + self.digest).hexdigest()


def _scrypt(code: str, *, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(
        code.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=size, maxmem=256 * 1024 * 1024
    )


def hash_code(code: str, *, salt: bytes | None = None) -> str:
    """The configuration value for `code`."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(code, salt=salt, n=DEFAULT_N, r=DEFAULT_R, p=DEFAULT_P, size=32)
    return f"{SCHEME}${DEFAULT_N}${DEFAULT_R}${DEFAULT_P}${salt.hex()}${digest.hex()}"


class LoginResult(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    LOCKED = "locked"  # too many wrong codes: try again later
    USED = "used"  # the right code, but it was already used once
    NOT_CONFIGURED = "not_configured"


class StaffAuthenticator:
    """Checks staff codes. Not thread-safe: called from the UI thread only."""

    def __init__(
        self,
        *,
        code_hash: str | None,
        used_file: Path | None,
        clock: Callable[[], float],
        audit: StaffAuditSink | None = None,
    ) -> None:
        """`audit` receives every login attempt and every action of a signed-in staff member."""
        self._audit = audit
        self._actor: str | None = None
        self._hash = CodeHash.parse(code_hash) if code_hash else None
        self._used_file = used_file
        self._clock = clock
        self._failures = 0
        self._locks = 0
        self._locked_until = 0.0
        self._expires_at: datetime | None = None

    def install_code(self, code_hash: str, *, expires_at: datetime) -> None:
        """A one-time code issued from the central, valid until `expires_at` (raises
        `StaffCodeFormatError` for a hash this module cannot check)."""
        self._hash = CodeHash.parse(code_hash)
        self._expires_at = expires_at
        log.info("staff_code_installed", extra={"expires_at": expires_at.isoformat()})
        self._record(
            actor=FLEET_ACTOR,
            role=FLEET_ROLE,
            action="maintenance_code_installed",
            detail={"code": self._code_id(), "expires_at": expires_at.isoformat()},
        )

    def use_audit(self, audit: StaffAuditSink) -> None:
        """Audit from now on into `audit` (wired once the staff audit log is open)."""
        self._audit = audit

    @property
    def actor(self) -> str | None:
        """The pseudonymous id of the staff member signed in last (None before any login)."""
        return self._actor

    def record_action(self, action: str, detail: Mapping[str, str] | None = None) -> None:
        """Audit an action of the staff member signed in last (alerts acknowledged, exit...)."""
        self._record(
            actor=self._actor or UNKNOWN_ACTOR,
            role=CODE_ROLE,
            action=action,
            detail=dict(detail or {}),
        )

    def _code_id(self) -> str:
        return "code-none" if self._hash is None else f"code-{self._hash.fingerprint()[:12]}"

    def _record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        if self._audit is None:
            return
        try:
            self._audit.record(actor=actor, role=role, action=action, detail=detail)
        except BorneError as err:
            log.error("staff_audit_failed", extra={"action": action, "error": type(err).__name__})

    @property
    def configured(self) -> bool:
        return self._hash is not None

    def locked_for_s(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    def login(self, code: str) -> LoginResult:
        result = self._check(code)
        extra: dict[str, object] = {"result": result.value, "failures": self._failures}
        if result is LoginResult.ACCEPTED:
            log.info("staff_login", extra=extra)
        else:
            log.warning("staff_login", extra=extra | {"locked_for_s": round(self.locked_for_s())})
        self._audit_login(result)
        return result

    def _audit_login(self, result: LoginResult) -> None:
        locked = round(self.locked_for_s())
        if result is LoginResult.ACCEPTED:
            self._actor = self._code_id()
            source = "config" if self._expires_at is None else "fleet"
            detail = {"method": "maintenance_code", "source": source}
            self._record(actor=self._actor, role=CODE_ROLE, action="login_accepted", detail=detail)
            if source == "fleet":
                self.record_action("maintenance_code_used", {"code": self._actor})
            return
        if result is LoginResult.REFUSED and locked > 0:
            action, detail = "login_locked_out", {"locked_for_s": str(locked)}
        elif result is LoginResult.LOCKED:
            action, detail = "login_while_locked", {"locked_for_s": str(locked)}
        else:
            action, detail = "login_refused", {"reason": result.value}
        detail["failures"] = str(self._failures)
        self._record(actor=UNKNOWN_ACTOR, role=NO_ROLE, action=action, detail=detail)

    def _check(self, code: str) -> LoginResult:
        if self._hash is None:
            return LoginResult.NOT_CONFIGURED
        if self._expires_at is not None and datetime.now(tz=UTC) >= self._expires_at:
            return LoginResult.USED
        if self.locked_for_s() > 0:
            return LoginResult.LOCKED
        if not code or not self._hash.matches(code):
            self._failures += 1
            if self._failures % FAILURES_BEFORE_LOCK == 0:
                self._locks += 1
                lock = min(MAX_LOCK_S, FIRST_LOCK_S * 2 ** (self._locks - 1))
                self._locked_until = self._clock() + lock
            return LoginResult.REFUSED
        if self._hash.fingerprint() in self._used():
            return LoginResult.USED
        self._remember_used(self._hash.fingerprint())
        self._failures = 0
        self._locks = 0
        return LoginResult.ACCEPTED

    def _used(self) -> set[str]:
        if self._used_file is None or not self._used_file.exists():
            return set()
        try:
            data = json.loads(self._used_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.error("staff_used_codes_unreadable", extra={"file": str(self._used_file)})
            return set()
        return {str(item) for item in data} if isinstance(data, list) else set()

    def _remember_used(self, fingerprint: str) -> None:
        if self._used_file is None:
            return
        used = sorted(self._used() | {fingerprint})
        self._used_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._used_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(used), encoding="utf-8")
        tmp.replace(self._used_file)

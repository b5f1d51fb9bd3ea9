"""Operators of the fleet console: accounts, sessions, login rate limiting and the audit trail.

Passwords are hashed with argon2id (argon2-cffi); only a session token's SHA-256 is kept, with the
session's CSRF token and its expiry, so every server process sharing the database knows every
session and a stolen database holds no usable cookie. Failed logins are counted per operator name
and per client address in the database (shared by all processes); past `MAX_FAILURES` for a
name (or `MAX_FAILURES_PER_ADDRESS` for an address) in `FAILURE_WINDOW_S`, further attempts are
refused without checking the password. The audit trail
records who did what to which target and how it ended, never personal data.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from central import db
from central.errors import CentralError, StoreError

SESSION_TTL_S: Final = 8 * 3600
"""A console session lasts one working day at most."""
MAX_FAILURES: Final = 5
"""Failed logins of one operator name within the window before further attempts are refused."""
MAX_FAILURES_PER_ADDRESS: Final = 20
"""Failed logins from one client address (an office behind one NAT holds several operators)."""
FAILURE_WINDOW_S: Final = 300
NAME_MAX: Final = 64
PASSWORD_MIN: Final = 10

operators = sa.Table(
    "console_operators",
    db.metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
)
sessions = sa.Table(
    "console_sessions",
    db.metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("operator", sa.String(64), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("expires_at", sa.Float(), nullable=False, index=True),
)
login_failures = sa.Table(
    "console_login_failures",
    db.metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("subject", sa.String(128), nullable=False, index=True),
    sa.Column("at", sa.Float(), nullable=False, index=True),
)
audit = sa.Table(
    "console_audit",
    db.metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False, index=True),
    sa.Column("operator", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(128), nullable=False, server_default=""),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("detail", sa.String(200), nullable=False, server_default=""),
)


class OperatorRole(enum.StrEnum):
    """What an operator may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(OperatorRole).index(self)

    def allows(self, needed: OperatorRole) -> bool:
        return self.rank >= needed.rank


class AccountError(CentralError):
    """An operator account cannot be made or used; `code` says why."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    name: str
    role: OperatorRole


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    operator: Operator
    csrf_token: str
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    seq: int
    at: datetime
    operator: str
    action: str
    target: str
    outcome: str
    detail: str


class LoginOutcome(enum.Enum):
    OK = "ok"
    REFUSED = "refused"
    THROTTLED = "throttled"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_name(name: str) -> bool:
    return 0 < len(name) <= NAME_MAX and all(c.isalnum() or c in "._-@" for c in name)


class OperatorStore:
    """Operator accounts, sessions, failed logins and audit entries in the central database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        # checked against when the name is unknown, so both cases cost the same time
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, password: str, role: OperatorRole) -> None:
        if not valid_name(name):
            raise AccountError("an operator name is 1-64 letters, digits or ._-@", code="bad_name")
        if len(password) < PASSWORD_MIN:
            raise AccountError(
                f"the password must have at least {PASSWORD_MIN} characters", code="weak_password"
            )
        at = datetime.fromtimestamp(self._clock(), tz=UTC).isoformat()
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(operators).values(
                        name=name,
                        password_hash=self._hasher.hash(password),
                        role=role.value,
                        created_at=at,
                        disabled=False,
                    )
                )
        except sa.exc.IntegrityError as err:
            raise AccountError(f"operator {name} exists already", code="taken") from err
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot store the operator") from err

    def _failures(self, connection: sa.Connection, subject: str, now: float) -> int:
        count = connection.execute(
            sa.select(sa.func.count())
            .select_from(login_failures)
            .where(login_failures.c.subject == subject)
            .where(login_failures.c.at > now - FAILURE_WINDOW_S)
        ).scalar_one()
        return int(count)

    def login(self, name: str, password: str, *, client: str) -> tuple[LoginOutcome, str | None]:
        """Check a password; on success a new session token (for the cookie), else None."""
        now = self._clock()
        subjects = (f"name:{name[:NAME_MAX]}", f"addr:{client[:64]}")
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.delete(login_failures).where(login_failures.c.at < now - FAILURE_WINDOW_S)
                )
                limits = zip(subjects, (MAX_FAILURES, MAX_FAILURES_PER_ADDRESS), strict=True)
                if any(self._failures(connection, s, now) >= n for s, n in limits):
                    return LoginOutcome.THROTTLED, None
                row = connection.execute(
                    sa.select(operators.c.password_hash, operators.c.disabled).where(
                        operators.c.name == name
                    )
                ).first()
                if not self._password_matches(row, password):
                    for subject in subjects:
                        connection.execute(
                            sa.insert(login_failures).values(subject=subject, at=now)
                        )
                    return LoginOutcome.REFUSED, None
                connection.execute(
                    sa.delete(login_failures).where(login_failures.c.subject == subjects[0])
                )
                token = secrets.token_urlsafe(32)
                connection.execute(sa.delete(sessions).where(sessions.c.expires_at < now))
                connection.execute(
                    sa.insert(sessions).values(
                        token_hash=_token_hash(token),
                        operator=name,
                        csrf_token=secrets.token_urlsafe(32),
                        created_at=now,
                        expires_at=now + SESSION_TTL_S,
                    )
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot check the login") from err
        return LoginOutcome.OK, token

    def _password_matches(self, row: sa.Row[Any, Any] | None, password: str) -> bool:
        stored = row.password_hash if row is not None else self._dummy_hash
        matched: bool
        try:
            matched = self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            matched = False
        return bool(matched and row is not None and not row.disabled)

    def session(self, token: str) -> Session | None:
        """The live session of a cookie's token, else None."""
        if not token:
            return None
        query = (
            sa.select(
                sessions.c.csrf_token, sessions.c.expires_at, operators.c.name, operators.c.role
            )
            .join(operators, operators.c.name == sessions.c.operator)
            .where(sessions.c.token_hash == _token_hash(token))
            .where(sessions.c.expires_at > self._clock())
            .where(operators.c.disabled.is_(False))
        )
        try:
            with self._engine.connect() as connection:
                row = connection.execute(query).first()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the session") from err
        if row is None:
            return None
        return Session(
            operator=Operator(name=row.name, role=OperatorRole(row.role)),
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
        )

    def logout(self, token: str) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.delete(sessions).where(sessions.c.token_hash == _token_hash(token))
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot end the session") from err

    # -- audit ---------------------------------------------------------------------------------

    def record(
        self, *, operator: str, action: str, target: str = "", outcome: str, detail: str = ""
    ) -> None:
        """Append one audit entry (who, what, which target, how it ended)."""
        at = datetime.fromtimestamp(self._clock(), tz=UTC).isoformat()
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(audit).values(
                        at=at,
                        operator=operator[:NAME_MAX],
                        action=action[:64],
                        target=target[:128],
                        outcome=outcome[:32],
                        detail=detail[:200],
                    )
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot store the audit entry") from err

    def audit_page(
        self, *, target: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """Audit entries, newest first; `before` is the `seq` the previous page ended at."""
        query = sa.select(audit)
        if target is not None:
            query = query.where(audit.c.target == target)
        if before is not None:
            query = query.where(audit.c.seq < before)
        query = query.order_by(audit.c.seq.desc()).limit(max(1, min(limit, 500)))
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the audit") from err
        return [
            AuditEntry(
                seq=row.seq,
                at=datetime.fromisoformat(row.at),
                operator=row.operator,
                action=row.action,
                target=row.target,
                outcome=row.outcome,
                detail=row.detail,
            )
            for row in rows
        ]


def same_token(presented: str, expected: str) -> bool:
    return bool(presented) and hmac.compare_digest(presented.encode(), expected.encode())

"""Kiosk identity on the central server: enrollment, signed token requests, short-lived tokens.

A kiosk makes its own EC P-256 key pair and enrolls with its id, public key and a one-time
enrollment code an operator made (`python -m central kiosks code`). It is *pending* until an
operator accepts (or rejects) it; an accepted kiosk can be revoked. To call the API, an accepted
kiosk asks for a token with a request signed by its key (`AuthRequest`: timestamp within
`AUTH_WINDOW_S`, a nonce used once — kept in the database, so replays are refused by every server
process sharing it). The token names the kiosk and expires after `TOKEN_TTL_S` (≤ 15 min), so a
revocation takes effect within one token lifetime. Tokens are HMAC-signed with a secret that all
server processes share (from the environment, or made once and kept in the database).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.dialects import postgresql, sqlite

from central import db
from central.errors import CentralError, StoreError
from offline_queue.wire import AuthRequest, EnrollmentRequest, EnrollmentState, auth_message

TOKEN_TTL_S: Final = 600
"""Lifetime of a kiosk token (10 minutes, within the 15 minutes a revocation may take)."""
AUTH_WINDOW_S: Final = 120
"""How far a signed token request's timestamp may be from the server's clock."""
_TOKEN_SECRET_NAME: Final = "kiosk-token-hmac"  # noqa: S105 (the name of a row)


class IdentityError(CentralError):
    """An enrollment or token request is refused; `code` says why (for the API's answer)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True, kw_only=True)
class KioskIdentity:
    kiosk_id: str
    state: EnrollmentState
    requested_at: datetime
    decided_at: datetime | None
    key_fingerprint: str
    """SHA-256 of the public key (DER), hex, shortened: for the operator to compare."""


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _fingerprint(public_key_pem: str) -> str:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def _load_ec_key(public_key_pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError as err:
        raise IdentityError("the public key is not a PEM key", code="invalid_key") from err
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise IdentityError("the kiosk key must be EC P-256", code="invalid_key")
    return key


class IdentityStore:
    """Identities, codes, nonces and the token secret in the central database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    def _insert(self, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
        return postgresql.insert(table) if self._postgres else sqlite.insert(table)

    # -- operator ------------------------------------------------------------------------------

    def new_enrollment_code(self, *, now: datetime | None = None) -> str:
        """A fresh one-time code (shown once; only its hash is kept)."""
        code = secrets.token_urlsafe(18)
        at = (now or datetime.now(tz=UTC)).isoformat()
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(db.enrollment_codes).values(code_hash=_hash_code(code), created_at=at)
            )
        return code

    def list_identities(
        self, *, state: EnrollmentState | None = None, after: str | None = None, limit: int = 100
    ) -> list[KioskIdentity]:
        table = db.kiosk_identities
        query = sa.select(table)
        if state is not None:
            query = query.where(table.c.state == state.value)
        if after is not None:
            query = query.where(table.c.kiosk_id > after)
        query = query.order_by(table.c.kiosk_id).limit(max(1, min(limit, 1000)))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            KioskIdentity(
                kiosk_id=row.kiosk_id,
                state=EnrollmentState(row.state),
                requested_at=datetime.fromisoformat(row.requested_at),
                decided_at=datetime.fromisoformat(row.decided_at) if row.decided_at else None,
                key_fingerprint=_fingerprint(row.public_key_pem),
            )
            for row in rows
        ]

    _DECISIONS: Final = {
        EnrollmentState.ACCEPTED: (EnrollmentState.PENDING,),
        EnrollmentState.REJECTED: (EnrollmentState.PENDING,),
        EnrollmentState.REVOKED: (EnrollmentState.ACCEPTED,),
    }

    def decide(
        self, kiosk_id: str, decision: EnrollmentState, *, now: datetime | None = None
    ) -> None:
        """Accept or reject a pending kiosk, or revoke an accepted one."""
        allowed = self._DECISIONS.get(decision)
        if allowed is None:
            raise ValueError(f"not a decision: {decision}")
        table = db.kiosk_identities
        with self._engine.begin() as connection:
            changed = connection.execute(
                sa.update(table)
                .where(table.c.kiosk_id == kiosk_id)
                .where(table.c.state.in_([s.value for s in allowed]))
                .values(state=decision.value, decided_at=(now or datetime.now(tz=UTC)).isoformat())
            ).rowcount
        if changed != 1:
            raise IdentityError(
                f"kiosk {kiosk_id} is not {' or '.join(s.value for s in allowed)}",
                code="wrong_state",
            )

    # -- kiosks --------------------------------------------------------------------------------

    def enroll(self, request: EnrollmentRequest, *, now: datetime | None = None) -> EnrollmentState:
        """Record a pending kiosk, using up its code; asking again with the same key is idempotent."""
        _load_ec_key(request.public_key_pem)
        at = (now or datetime.now(tz=UTC)).isoformat()
        identities, codes = db.kiosk_identities, db.enrollment_codes
        try:
            with self._engine.begin() as connection:
                known = connection.execute(
                    sa.select(identities.c.public_key_pem, identities.c.state).where(
                        identities.c.kiosk_id == request.kiosk_id
                    )
                ).first()
                if known is not None:
                    if known.public_key_pem.strip() == request.public_key_pem.strip():
                        return EnrollmentState(known.state)
                    raise IdentityError("this kiosk id is enrolled with another key", code="taken")
                used = connection.execute(
                    sa.update(codes)
                    .where(codes.c.code_hash == _hash_code(request.enrollment_code))
                    .where(codes.c.used_by.is_(None))
                    .values(used_by=request.kiosk_id, used_at=at)
                ).rowcount
                if used != 1:
                    raise IdentityError("unknown or used enrollment code", code="bad_code")
                connection.execute(
                    sa.insert(identities).values(
                        kiosk_id=request.kiosk_id,
                        public_key_pem=request.public_key_pem,
                        state=EnrollmentState.PENDING.value,
                        requested_at=at,
                    )
                )
        except sa.exc.IntegrityError as err:
            raise IdentityError("this kiosk id is already enrolling", code="taken") from err
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot store the enrollment") from err
        return EnrollmentState.PENDING

    def authenticate(self, request: AuthRequest, *, now: float | None = None) -> str:
        """Check a signed token request; returns the kiosk id. Each nonce is accepted once."""
        clock = time.time() if now is None else now
        if abs(request.timestamp.timestamp() - clock) > AUTH_WINDOW_S:
            raise IdentityError("the request's timestamp is too far off", code="stale")
        table = db.kiosk_identities
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(table.c.public_key_pem, table.c.state).where(
                        table.c.kiosk_id == request.kiosk_id
                    )
                ).first()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the kiosk identities") from err
        if row is None or row.state != EnrollmentState.ACCEPTED.value:
            raise IdentityError("the kiosk is not accepted", code="not_accepted")
        message = auth_message(
            kiosk_id=request.kiosk_id,
            timestamp=request.timestamp.isoformat(),
            nonce=request.nonce,
        )
        try:
            signature = base64.b64decode(request.signature, validate=True)
            _load_ec_key(row.public_key_pem).verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature) as err:
            raise IdentityError("bad signature", code="bad_signature") from err
        self._use_nonce(request.kiosk_id, request.nonce, clock)
        return request.kiosk_id

    def _use_nonce(self, kiosk_id: str, nonce: str, clock: float) -> None:
        table = db.auth_nonces
        try:
            with self._engine.begin() as connection:
                # nonces older than twice the window can no longer be presented: forget them
                connection.execute(
                    sa.delete(table).where(table.c.seen_at < clock - 2 * AUTH_WINDOW_S)
                )
                # RETURNING, not rowcount: psycopg reports no row count for INSERT … ON CONFLICT
                inserted = connection.execute(
                    self._insert(table)
                    .values(kiosk_id=kiosk_id, nonce=nonce, seen_at=clock)
                    .on_conflict_do_nothing(index_elements=["kiosk_id", "nonce"])
                    .returning(table.c.nonce)
                ).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot store the nonce") from err
        if inserted is None:
            raise IdentityError("this signed request was already used", code="replayed")

    def token_secret(self, configured: str | None) -> bytes:
        """The token HMAC key: the configured one, or the one kept in the database (made once)."""
        if configured:
            return configured.encode()
        table = db.server_secrets
        with self._engine.begin() as connection:
            connection.execute(
                self._insert(table)
                .values(name=_TOKEN_SECRET_NAME, value=secrets.token_hex(32))
                .on_conflict_do_nothing(index_elements=["name"])
            )
            value = connection.execute(
                sa.select(table.c.value).where(table.c.name == _TOKEN_SECRET_NAME)
            ).scalar_one()
        return str(value).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Stateless kiosk tokens: `base64(claims).base64(hmac)`; claims name the kiosk and expiry."""

    def __init__(self, secret: bytes, *, ttl_s: int = TOKEN_TTL_S) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, kiosk_id: str, *, now: float | None = None) -> tuple[str, datetime]:
        expires = int(time.time() if now is None else now) + self.ttl_s
        payload = _b64(json.dumps({"k": kiosk_id, "exp": expires}, separators=(",", ":")).encode())
        return f"kt1.{payload}.{self._mac(payload)}", datetime.fromtimestamp(expires, tz=UTC)

    def kiosk_of(self, token: str, *, now: float | None = None) -> str | None:
        """The kiosk a valid, unexpired token names, else None."""
        prefix, _, rest = token.partition(".")
        payload, _, mac = rest.partition(".")
        if prefix != "kt1" or not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            claims = json.loads(_unb64(payload))
            kiosk_id, expires = str(claims["k"]), int(claims["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        return kiosk_id if (time.time() if now is None else now) < expires else None

"""The register extract only for the citizen present: single-use nonces, the card's proof, an audit.

A kiosk asks for a nonce (`POST /api/v1/citizen/challenge`); the nonce is bound to that kiosk and
expires after `NONCE_TTL_S`. After the PIN the card signs it with its Authentication key, and the
kiosk sends the signature and the card's certificates with its register request
(`POST /api/v1/register/extract`). The central uses the nonce up first (so a refused proof burns
it), then checks the proof with the card reader's own `verify_citizen_proof`: the signature over
the nonce, the certificate chain to the pinned Belgian roots (the TEST roots too in demo), and that
the certificate's serialNumber is the national number asked about. Only then is the register asked.

Every lookup is audited in the database (kiosk, time, outcome, masked national number) and logged
without the national number in full. Nonces are rate-limited per kiosk (429 with `Retry-After`);
since every lookup needs a fresh nonce, so are lookups. Nonces and counts live in the database, so
several server processes on one PostgreSQL share them.

A staff member's own card logging in to a kiosk's maintenance mode proves itself the same way
(`POST /api/v1/staff/proof`) and is audited as `staff_proof`; the register is not asked.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final, Protocol

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from fastapi import APIRouter, Depends, FastAPI, Request

from central import db
from central.errors import Refusal, StoreError
from central.guard import principal_of
from central.holders import HolderKeys
from central.register import RegisterConnector
from central.settings import DEFAULT_CHALLENGES_PER_MINUTE, CentralSettings
from hardware.eid.errors import CardVerificationError
from hardware.eid.model import CitizenProof
from hardware.eid.verify import TrustStore, verify_citizen_proof
from hardware.national_number import mask_national_number
from offline_queue.wire import (
    CitizenChallenge,
    CitizenProofWire,
    ErrorBody,
    ErrorCode,
    RegisterExtractRequest,
    RegisterExtractResponse,
    StaffProofAck,
    StaffProofRequest,
)
from offline_queue.wire_citizen import STAFF_PROOF_PATH

logger = logging.getLogger(__name__)

CHALLENGE_PATH: Final = "/api/v1/citizen/challenge"
EXTRACT_PATH: Final = "/api/v1/register/extract"
STAFF_OUTCOME: Final = "staff_proof"
"""The audit's outcome for a staff card that proved itself (no register lookup was made)."""


class ProvedRequest(Protocol):
    """A request carrying a card's proof over a nonce, for the national number it names."""

    @property
    def national_number(self) -> str: ...
    @property
    def proof(self) -> CitizenProofWire | None: ...


NONCE_TTL_S: Final = 120.0
_WINDOW_S: Final = 60.0

citizen_nonces = sa.Table(
    "citizen_nonces",
    db.metadata,
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
    sa.Column("issued_at", sa.Float(), nullable=False, index=True),
    sa.Column("used_at", sa.Float()),
)

register_lookups = sa.Table(
    "register_lookups",
    db.metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("national_number_masked", sa.String(32), nullable=False),
)


class ProofError(Refusal):
    """A refusal of the citizen-proof routes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupAudit:
    kiosk_id: str
    at: datetime
    outcome: str
    national_number_masked: str


def citizen_trust(roots: tuple[Path, ...]) -> TrustStore:
    """The real Belgian roots, plus the given TEST roots (demo and tests only)."""
    if not roots:
        return TrustStore.production()
    merged = {root.fingerprint(hashes.SHA256()): root for root in TrustStore.production().roots}
    for path in roots:
        merged.update(
            (root.fingerprint(hashes.SHA256()), root)
            for root in TrustStore.with_test_root(path).roots
        )
    return TrustStore(tuple(merged.values()), includes_test_roots=True)


def proof_from_wire(proof: CitizenProofWire) -> CitizenProof:
    try:
        return CitizenProof(
            signature=base64.b64decode(proof.signature, validate=True),
            certificate=base64.b64decode(proof.certificate, validate=True),
            ca_certificate=base64.b64decode(proof.ca_certificate, validate=True),
            applet_version=proof.applet_version,
        )
    except (binascii.Error, ValueError) as err:
        raise ProofError(
            status=403, code=ErrorCode.PROOF_REFUSED, message="unreadable citizen proof"
        ) from err


class CitizenProofs:
    """Nonces, proof checks and the lookup audit, in the central database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        trust: TrustStore,
        per_minute: int = DEFAULT_CHALLENGES_PER_MINUTE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self.holders = HolderKeys(engine)
        self._trust = trust
        self._per_minute = per_minute
        self._clock = clock

    def challenge(self, kiosk_id: str) -> CitizenChallenge:
        """A fresh nonce for `kiosk_id`; `ProofError(429)` past the kiosk's rate."""
        now = self._clock()
        nonce = secrets.token_hex(32)
        table = citizen_nonces
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.delete(table).where(table.c.issued_at < now - 2 * NONCE_TTL_S)
                )
                recent = connection.execute(
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(table.c.kiosk_id == kiosk_id, table.c.issued_at > now - _WINDOW_S)
                ).scalar_one()
                if recent >= self._per_minute:
                    oldest = connection.execute(
                        sa.select(sa.func.min(table.c.issued_at)).where(
                            table.c.kiosk_id == kiosk_id, table.c.issued_at > now - _WINDOW_S
                        )
                    ).scalar_one()
                    wait = max(1, int(float(oldest) + _WINDOW_S - now) + 1)
                    raise ProofError(
                        status=429,
                        code=ErrorCode.RATE_LIMITED,
                        message="too many register lookups from this kiosk",
                        retry_after=wait,
                    )
                connection.execute(
                    sa.insert(table).values(nonce=nonce, kiosk_id=kiosk_id, issued_at=now)
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot store the citizen nonce") from err
        return CitizenChallenge(
            nonce=nonce, expires_at=datetime.fromtimestamp(now + NONCE_TTL_S, tz=UTC)
        )

    def check(self, kiosk_id: str, request: ProvedRequest) -> str:
        """Use the proof's nonce up and verify the proof; returns the outcome for the audit.

        Raises `ProofError(403)` for a missing, stale, used, foreign or invalid proof.
        """
        proof = request.proof
        if proof is None:
            raise ProofError(
                status=403, code=ErrorCode.PROOF_REQUIRED, message="a citizen proof is required"
            )
        if not self._use_nonce(kiosk_id, proof.nonce):
            raise ProofError(
                status=403,
                code=ErrorCode.PROOF_REFUSED,
                message="unknown, expired or used nonce",
            )
        try:
            verify_citizen_proof(
                proof_from_wire(proof),
                bytes.fromhex(proof.nonce),
                trust=self._trust,
                national_number=request.national_number,
            )
        except CardVerificationError as err:
            raise ProofError(
                status=403, code=ErrorCode.PROOF_REFUSED, message="citizen proof refused"
            ) from err
        return "proved"

    def check_audited(self, kiosk_id: str, request: ProvedRequest) -> None:
        """`check`, with a refusal audited under its code before it is raised (every route that
        takes a card's proof audits the refused ones the same way)."""
        try:
            self.check(kiosk_id, request)
        except ProofError as err:
            self.audit(
                kiosk_id=kiosk_id, national_number=request.national_number, outcome=err.code.value
            )
            raise

    def _use_nonce(self, kiosk_id: str, nonce: str) -> bool:
        now = self._clock()
        table = citizen_nonces
        try:
            with self._engine.begin() as connection:
                used = connection.execute(
                    sa.update(table)
                    .where(
                        table.c.nonce == nonce,
                        table.c.kiosk_id == kiosk_id,
                        table.c.used_at.is_(None),
                        table.c.issued_at >= now - NONCE_TTL_S,
                    )
                    .values(used_at=now)
                ).rowcount
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot use the citizen nonce") from err
        return bool(used == 1)

    def audit(self, *, kiosk_id: str, national_number: str, outcome: str) -> None:
        """One audit row and one log line per lookup; never the national number in full."""
        masked = mask_national_number(national_number)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(register_lookups).values(
                        kiosk_id=kiosk_id,
                        at=datetime.fromtimestamp(self._clock(), tz=UTC).isoformat(),
                        outcome=outcome,
                        national_number_masked=masked,
                    )
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot audit the register lookup") from err
        logger.info(
            "register lookup",
            extra={"kiosk_id": kiosk_id, "national_number": masked, "outcome": outcome},
        )

    def audits(self, *, kiosk_id: str, limit: int = 100) -> list[LookupAudit]:
        """The kiosk's latest lookups, newest first (for operators and tests)."""
        table = register_lookups
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(table)
                .where(table.c.kiosk_id == kiosk_id)
                .order_by(table.c.seq.desc())
                .limit(limit)
            ).all()
        return [
            LookupAudit(
                kiosk_id=row.kiosk_id,
                at=datetime.fromisoformat(row.at),
                outcome=row.outcome,
                national_number_masked=row.national_number_masked,
            )
            for row in rows
        ]


async def _kiosk(request: Request) -> str:
    return principal_of(request)


async def _proofs(request: Request) -> CitizenProofs:
    proofs: CitizenProofs = request.app.state.citizen_proofs
    return proofs


async def _register(request: Request) -> RegisterConnector:
    register: RegisterConnector = request.app.state.services.register
    return register


Kiosk = Annotated[str, Depends(_kiosk)]
Proofs = Annotated[CitizenProofs, Depends(_proofs)]
Register = Annotated[RegisterConnector, Depends(_register)]

router = APIRouter()


@router.post(CHALLENGE_PATH)
def challenge(kiosk_id: Kiosk, proofs: Proofs) -> CitizenChallenge:
    """A single-use nonce (120 s) for the card of the resident at the calling kiosk to sign."""
    return proofs.challenge(kiosk_id)


@router.post(
    EXTRACT_PATH,
    responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def register_extract(
    request: RegisterExtractRequest, kiosk_id: Kiosk, proofs: Proofs, register: Register
) -> RegisterExtractResponse:
    """The register's data on the resident's household, against a fresh proof of their card."""
    number = request.national_number
    proofs.check_audited(kiosk_id, request)
    extract = register.extract(number)
    proofs.audit(
        kiosk_id=kiosk_id, national_number=number, outcome="found" if extract else "not_found"
    )
    if extract is None:
        raise ProofError(status=404, code=ErrorCode.NOT_IN_REGISTER, message="not in register")
    # the resident's keyed reference, which the kiosk puts in the records of their documents
    return extract.model_copy(update={"holder_ref": proofs.holders.holder_ref(number)})


@router.post(
    STAFF_PROOF_PATH,
    responses={403: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def staff_proof(request: StaffProofRequest, kiosk_id: Kiosk, proofs: Proofs) -> StaffProofAck:
    """A staff member's own card at the maintenance login: the proof checked as a resident's,
    the register not asked; audited as `staff_proof` (the allow-list is the kiosk's to check)."""
    number = request.national_number
    proofs.check_audited(kiosk_id, request)
    proofs.audit(kiosk_id=kiosk_id, national_number=number, outcome=STAFF_OUTCOME)
    return StaffProofAck()


def for_settings(engine: sa.Engine, settings: CentralSettings) -> CitizenProofs:
    """The server's citizen proofs: its TEST roots beside the Belgian ones, its nonce rate."""
    return CitizenProofs(
        engine,
        trust=citizen_trust(settings.citizen_roots),
        per_minute=settings.challenges_per_minute,
    )


def install(app: FastAPI, proofs: CitizenProofs) -> None:
    """The nonce and register routes (their refusals are answered by the server's handler)."""
    app.state.citizen_proofs = proofs
    app.include_router(router)

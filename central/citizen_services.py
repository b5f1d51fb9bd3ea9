"""Citizen services for the kiosk: "e-mail me the sealed PDF" and "my requests".

`POST /api/v1/documents/{document_id}/email` (kiosk token): the kiosk that issued a document, within
`EMAIL_WINDOW_S` of issuing it, sends the sealed PDF and the address the resident typed; the central
checks that the PDF is that document under the municipality's seal, mails it in the resident's
language and forgets both (neither is written anywhere: the audit keeps the address's domain only).
Mails are rate-limited per kiosk (429 with `Retry-After`); an SMTP server that cannot take the
message is a 503 `mail.unavailable`, and the kiosk tells the resident plainly.

`POST /api/v1/citizens/requests` (kiosk token): against a fresh citizen proof, exactly like the
register extract (`central.citizen_proof`), the documents that resident obtained, found through
their `holder_ref` (`central.holders`), never a stored national number. Audited like register
lookups (outcome `requests_listed`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from starlette.concurrency import run_in_threadpool

from central import db
from central.citizen_mail import MailNotSent, SmtpServer, compose_document_mail, send_mail
from central.citizen_proof import CitizenProofs, Kiosk, ProofError
from central.errors import StoreError
from central.guard import GuardRule, Role
from central.settings import CentralSettings
from central.store import CentralStore, DocumentIssue
from offline_queue.email_address import email_domain
from offline_queue.wire import (
    CitizenDocument,
    CitizenRequests,
    CitizenRequestsRequest,
    DocumentEmailAck,
    DocumentEmailRequest,
    ErrorCode,
)
from offline_queue.wire_citizen_services import PDF_BASE64_MAX
from printing.verify import verify_pdf

logger = logging.getLogger(__name__)

EMAIL_PATH: Final = "/api/v1/documents/{document_id}/email"
REQUESTS_PATH: Final = "/api/v1/citizens/requests"
EMAIL_WINDOW_S: Final = 30 * 60.0
"""A document may be mailed by its kiosk within this time of being issued."""
MAILS_PER_WINDOW: Final = 20
MAILS_ENV: Final = "BORNE_CENTRAL_CITIZEN_MAILS"
"""Mails a kiosk may send per `MAIL_WINDOW_S` (default `MAILS_PER_WINDOW`)."""
MAIL_WINDOW_S: Final = 600.0
REQUESTS_LIMIT: Final = 100

citizen_mailings = sa.Table(
    "citizen_mailings",
    db.metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
    sa.Column("document_id", sa.String(128), nullable=False),
    sa.Column("at", sa.Float(), nullable=False, index=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("address_domain", sa.String(255), nullable=False),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MailingAudit:
    kiosk_id: str
    document_id: str
    at: datetime
    outcome: str
    address_domain: str


class CitizenServices:
    """The mail audit and its rate, and the lookup of a resident's documents."""

    def __init__(self, engine: sa.Engine, *, per_window: int = MAILS_PER_WINDOW) -> None:
        self._engine = engine
        self._per_window = per_window

    def _now(self) -> float:
        return time.time()

    def check_rate(self, kiosk_id: str) -> None:
        """`ProofError(429)` when the kiosk sent `MAILS_PER_WINDOW` mails in the last window."""
        now = self._now()
        table = citizen_mailings
        since = now - MAIL_WINDOW_S
        try:
            with self._engine.connect() as connection:
                count, oldest = connection.execute(
                    sa.select(sa.func.count(), sa.func.min(table.c.at)).where(
                        table.c.kiosk_id == kiosk_id, table.c.at > since
                    )
                ).one()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the mail audit") from err
        if count >= self._per_window:
            raise ProofError(
                status=429,
                code=ErrorCode.RATE_LIMITED,
                message="too many mails from this kiosk",
                retry_after=max(1, int(float(oldest) + MAIL_WINDOW_S - now) + 1),
            )

    def audit(self, *, kiosk_id: str, document_id: str, outcome: str, address: str) -> None:
        """One row and one log line per mail; the address's domain only."""
        domain = email_domain(address)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    sa.insert(citizen_mailings).values(
                        kiosk_id=kiosk_id,
                        document_id=document_id,
                        at=self._now(),
                        outcome=outcome,
                        address_domain=domain[:255],
                    )
                )
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot audit the mail") from err
        logger.info(
            "document mail",
            extra={
                "kiosk_id": kiosk_id,
                "document_id": document_id,
                "outcome": outcome,
                "domain": domain,
            },
        )

    def audits(self, *, kiosk_id: str) -> list[MailingAudit]:
        table = citizen_mailings
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.kiosk_id == kiosk_id).order_by(table.c.seq.desc())
            ).all()
        return [
            MailingAudit(
                kiosk_id=row.kiosk_id,
                document_id=row.document_id,
                at=datetime.fromtimestamp(row.at, tz=UTC),
                outcome=row.outcome,
                address_domain=row.address_domain,
            )
            for row in rows
        ]

    def documents_of(self, holder_ref: str, *, commune: str | None) -> CitizenRequests:
        """The documents recorded under `holder_ref`, newest first."""
        table = db.documents
        query = (
            sa.select(
                table.c.document_id,
                table.c.document_type,
                table.c.issued_at,
                table.c.kiosk_id,
                table.c.verification_code,
            )
            .where(table.c.holder_ref == holder_ref)
            .order_by(table.c.issued_at.desc(), table.c.document_id)
            .limit(REQUESTS_LIMIT + 1)
        )
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the documents") from err
        documents = tuple(
            CitizenDocument(
                document_id=row.document_id,
                document_type=row.document_type,
                issued_at=datetime.fromisoformat(row.issued_at),
                kiosk_id=row.kiosk_id,
                commune=commune,
                verification_code=row.verification_code,
            )
            for row in rows[:REQUESTS_LIMIT]
        )
        return CitizenRequests(documents=documents, more=len(rows) > REQUESTS_LIMIT)


def _services(request: Request) -> CitizenServices:
    services: CitizenServices = request.app.state.citizen_services
    return services


Services = Annotated[CitizenServices, Depends(_services)]
DocumentId = Annotated[
    str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
]

router = APIRouter()


def _issued_by(store: CentralStore, document_id: str, kiosk_id: str) -> DocumentIssue:
    issue = store.find_document(document_id)
    if issue is None:
        raise ProofError(status=404, code=ErrorCode.NOT_FOUND, message="no such document")
    if issue.kiosk_id != kiosk_id:
        raise ProofError(
            status=403, code=ErrorCode.FORBIDDEN, message="the document was issued by another kiosk"
        )
    if time.time() - issue.issued_at.timestamp() > EMAIL_WINDOW_S:
        raise ProofError(
            status=403,
            code=ErrorCode.DOCUMENT_TOO_OLD,
            message="the document was issued too long ago",
        )
    return issue


async def _sealed_pdf(settings: CentralSettings, document_id: str, pdf_b64: str) -> bytes:
    """The PDF, when it is `document_id` under the municipality's valid seal (422 otherwise)."""
    if not settings.seal_roots:
        raise ProofError(
            status=503, code=ErrorCode.NOT_CONFIGURED, message="seal verification is not configured"
        )
    try:
        pdf = base64.b64decode(pdf_b64, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ProofError(
            status=422, code=ErrorCode.DOCUMENT_MISMATCH, message="unreadable PDF"
        ) from err
    # pyHanko's validator runs its own event loop: keep it off the server's loop.
    check = await run_in_threadpool(verify_pdf, pdf, trust_roots=settings.seal_roots)
    if not check.valid or check.document_id != document_id:
        raise ProofError(
            status=422,
            code=ErrorCode.DOCUMENT_MISMATCH,
            message="the PDF is not this document under a valid seal",
        )
    return pdf


@router.post(EMAIL_PATH, status_code=202)
async def email_document(
    document_id: DocumentId, body: DocumentEmailRequest, kiosk_id: Kiosk, http: Request
) -> DocumentEmailAck:
    """Mail the sealed PDF of a document this kiosk just issued to the address the resident typed.

    Neither the address nor the PDF is kept: the audit holds the address's domain only.
    """
    services = _services(http)
    settings: CentralSettings = http.app.state.services.settings
    store: CentralStore = http.app.state.services.store
    await run_in_threadpool(services.check_rate, kiosk_id)
    await run_in_threadpool(_issued_by, store, document_id, kiosk_id)
    pdf = await _sealed_pdf(settings, document_id, body.pdf)
    if settings.smtp_host is None:
        raise ProofError(
            status=503, code=ErrorCode.NOT_CONFIGURED, message="mail is not configured"
        )
    message = compose_document_mail(
        sender=settings.smtp_sender,
        address=body.address,
        language=body.language,
        document_id=document_id,
        commune=http.app.state.services.register.commune_name,
        pdf=pdf,
    )
    server = SmtpServer(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender
    )
    try:
        await run_in_threadpool(send_mail, server, message)
    except MailNotSent as err:
        await run_in_threadpool(
            services.audit,
            kiosk_id=kiosk_id,
            document_id=document_id,
            outcome="mail_failed",
            address=body.address,
        )
        raise ProofError(
            status=503, code=ErrorCode.MAIL_UNAVAILABLE, message="the mail server is unavailable"
        ) from err
    await run_in_threadpool(
        services.audit,
        kiosk_id=kiosk_id,
        document_id=document_id,
        outcome="sent",
        address=body.address,
    )
    return DocumentEmailAck(document_id=document_id)


@router.post(REQUESTS_PATH)
def citizen_requests(
    request: CitizenRequestsRequest, kiosk_id: Kiosk, http: Request
) -> CitizenRequests:
    """The documents the resident obtained, against a fresh proof of their card."""
    proofs: CitizenProofs = http.app.state.citizen_proofs
    services = _services(http)
    number = request.national_number
    proofs.check_audited(kiosk_id, request)
    answer = services.documents_of(
        proofs.holders.holder_ref(number), commune=http.app.state.services.register.commune_name
    )
    proofs.audit(kiosk_id=kiosk_id, national_number=number, outcome="requests_listed")
    return answer


_EMAIL_BODY: Final = PDF_BASE64_MAX + 4096


def install(app: FastAPI) -> dict[tuple[str, str], GuardRule]:
    """Add the citizen services' routes (after `citizen_proof.install`); their guard rules."""
    store = app.state.services.store
    per_window = int(os.environ.get(MAILS_ENV) or MAILS_PER_WINDOW)
    app.state.citizen_services = CitizenServices(store.engine, per_window=per_window)
    app.include_router(router)
    return {
        ("POST", EMAIL_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=_EMAIL_BODY),
        ("POST", REQUESTS_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=16 * 1024),
    }

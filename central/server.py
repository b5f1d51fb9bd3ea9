"""The central server's web application (FastAPI).

Kiosks deliver their issuance records, ask the population register for extracts and send
heartbeats, with the kiosk bearer token. Operators list records and kiosks with the operator token.
Anyone may open `/verify/{document_id}?h={code}` (the certificate's QR code) to check that a
document was issued and that the verification code on their paper matches it.

Error answers are `ErrorBody` JSON documents with a machine-readable `code`; they never echo the
request (which may hold a national number). Logs are structured and never hold a national number.
"""

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.register import DemoRegister, RegisterConnector
from central.settings import CentralSettings
from central.store import CentralStore, SqliteCentralStore
from central.verify_page import judge, render_verify_page
from hardware.national_number import mask_national_number
from offline_queue.wire import (
    SCHEMA_VERSION,
    BatchAck,
    ErrorBody,
    ErrorCode,
    Heartbeat,
    HeartbeatAck,
    KioskList,
    RecordBatch,
    RecordPage,
    RegisterExtractRequest,
    RegisterExtractResponse,
)
from printing.verify import verify_pdf

logger = logging.getLogger(__name__)

KIOSK_HEADER: Final = "X-Borne-Kiosk"
_DOCUMENT_ID_MAX: Final = 128
_CODE_MAX: Final = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class _Services:
    settings: CentralSettings
    store: CentralStore
    register: RegisterConnector


class ApiError(Exception):
    """An error answer of the API, turned into an `ErrorBody` response."""

    def __init__(self, *, status: int, code: ErrorCode, message: str = "") -> None:
        super().__init__(message or code.value)
        self.status = status
        self.code = code
        self.message = message


def _services(request: Request) -> _Services:
    services: _Services = request.app.state.services
    return services


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _check_token(presented: str, expected: str) -> None:
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ApiError(status=401, code=ErrorCode.UNAUTHORIZED, message="invalid bearer token")


def kiosk_auth(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> _Services:
    services = _services(request)
    _check_token(_bearer(authorization), services.settings.kiosk_token)
    return services


def operator_auth(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> _Services:
    services = _services(request)
    _check_token(_bearer(authorization), services.settings.operator_token)
    return services


KioskServices = Annotated[_Services, Depends(kiosk_auth)]
OperatorServices = Annotated[_Services, Depends(operator_auth)]


def _error_response(status: int, code: str, message: str = "") -> JSONResponse:
    body = ErrorBody(code=code, message=message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.code.value, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only the locations of the faults: the input may hold personal data.
        where = sorted({".".join(str(p) for p in error.get("loc", ())) for error in exc.errors()})
        logger.info("invalid request", extra={"path": request.url.path, "fields": where})
        return _error_response(422, ErrorCode.INVALID_REQUEST.value, "invalid: " + ", ".join(where))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = ErrorCode.NOT_FOUND if exc.status_code == 404 else ErrorCode.INVALID_REQUEST
        return _error_response(exc.status_code, code.value, str(exc.detail))


def _install_kiosk_routes(app: FastAPI) -> None:
    @app.post("/api/v1/records")
    def post_records(
        batch: RecordBatch,
        services: KioskServices,
        kiosk: Annotated[str | None, Header(alias=KIOSK_HEADER)] = None,
    ) -> BatchAck:
        if kiosk is not None and kiosk != batch.kiosk_id:
            raise ApiError(status=400, code=ErrorCode.KIOSK_MISMATCH, message="batch kiosk_id")
        ack = services.store.add_records(batch, received_at=datetime.now(tz=UTC))
        logger.info(
            "records received",
            extra={
                "kiosk_id": batch.kiosk_id,
                "batch_id": batch.batch_id,
                "accepted": len(ack.accepted),
                "duplicates": len(ack.duplicates),
            },
        )
        return ack

    @app.post("/api/v1/register/extract")
    def register_extract(
        request: RegisterExtractRequest, services: KioskServices
    ) -> RegisterExtractResponse:
        masked = mask_national_number(request.national_number)
        extract = services.register.extract(request.national_number)
        if extract is None:
            logger.info("register lookup: unknown", extra={"national_number": masked})
            raise ApiError(status=404, code=ErrorCode.NOT_IN_REGISTER, message="not in register")
        logger.info(
            "register lookup",
            extra={"national_number": masked, "household_id": extract.household_id},
        )
        return extract

    @app.post("/api/v1/heartbeat")
    def heartbeat(hb: Heartbeat, services: KioskServices) -> HeartbeatAck:
        now = datetime.now(tz=UTC)
        services.store.record_heartbeat(hb, received_at=now)
        logger.info(
            "heartbeat",
            extra={"kiosk_id": hb.kiosk_id, "version": hb.version, "backlog": hb.outbox_backlog},
        )
        return HeartbeatAck(
            received_at=now, next_poll_seconds=services.settings.heartbeat_interval_s
        )


def _install_operator_routes(app: FastAPI) -> None:
    @app.get("/api/v1/records")
    def list_records(
        services: OperatorServices,
        kiosk_id: Annotated[str | None, Query(max_length=128)] = None,
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> RecordPage:
        return services.store.list_records(kiosk_id=kiosk_id, after=after, limit=limit)

    @app.get("/api/v1/kiosks")
    def list_kiosks(services: OperatorServices) -> KioskList:
        return services.store.list_kiosks()


_VERIFY_MAX_BYTES: Final = 10 * 1024 * 1024


def _install_public_routes(app: FastAPI) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"status": "ok", "schema_version": SCHEMA_VERSION}

    @app.post("/api/v1/verify")
    async def verify_seal(request: Request) -> JSONResponse:
        """Check the municipality's seal on a PDF sent as the raw request body.

        Anyone holding the electronic original can check it: the seal must be intact and chain to
        the municipal CA, and the answer says whether a kiosk recorded the document as issued.
        """
        services = _services(request)
        roots = services.settings.seal_roots
        if not roots:
            raise ApiError(
                status=503,
                code=ErrorCode.NOT_CONFIGURED,
                message="seal verification is not configured",
            )
        data = await request.body()
        if len(data) > _VERIFY_MAX_BYTES:
            raise ApiError(status=413, code=ErrorCode.INVALID_REQUEST, message="document too large")
        # pyHanko's validator runs its own event loop: keep it off the server's loop.
        check = await run_in_threadpool(verify_pdf, data, trust_roots=roots)
        issue = services.store.find_document(check.document_id) if check.document_id else None
        logger.info(
            "seal_verified",
            extra={"valid": check.valid, "document_id": check.document_id, "recorded": bool(issue)},
        )
        return JSONResponse(
            {
                "valid": check.valid,
                "intact": check.intact,
                "trusted": check.trusted,
                "document_id": check.document_id,
                "signed_at": check.signed_at.isoformat() if check.signed_at else None,
                "reason": check.reason,
                "recorded_as_issued": issue is not None,
            }
        )

    @app.get("/verify/{document_id}", response_class=HTMLResponse)
    def verify(document_id: str, request: Request, h: str | None = None) -> HTMLResponse:
        document_id = document_id[:_DOCUMENT_ID_MAX]
        presented = h[:_CODE_MAX] if h is not None else None
        issue = _services(request).store.find_document(document_id)
        verdict = judge(issue, presented)
        logger.info(
            "verify",
            extra={"document_id": document_id, "found": issue is not None, "verdict": verdict},
        )
        return HTMLResponse(
            render_verify_page(document_id, issue, presented=presented),
            status_code=200 if issue else 404,
        )


def create_app(
    settings: CentralSettings,
    *,
    store: CentralStore | None = None,
    register: RegisterConnector | None = None,
) -> FastAPI:
    """The central server application; storage and register default to the settings' files."""
    connector = register or DemoRegister.load(settings.register_path)
    services = _Services(
        settings=settings,
        store=store or SqliteCentralStore(settings.db_path),
        register=connector,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        services.store.close()

    app = FastAPI(title="Borne central server", version="1", lifespan=lifespan)
    app.state.services = services
    _install_error_handlers(app)
    _install_kiosk_routes(app)
    _install_operator_routes(app)
    _install_public_routes(app)
    return app

"""The central server's web application (FastAPI).

Kiosks deliver their issuance records, ask the population register for extracts (against the
card's citizen proof, `central.citizen_proof`) and send heartbeats, each with its own short-lived
token obtained with its enrolled key (`central.identity`). Operators list records and kiosks with the operator token.
Anyone may open `/verify/{document_id}?h={code}` (the certificate's QR code) to check that a
document was issued and that the verification code on their paper matches it.

Error answers are `ErrorBody` JSON documents with a machine-readable `code`; they never echo the
request (which may hold a national number). Logs are structured and never hold a national number.
"""

import hmac
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from central import citizen_proof, citizen_services, kiosk_logs, staff_audit
from central.console.web import install_console
from central.errors import Refusal, StoreError
from central.fleet import FleetService
from central.fleet.router import install_fleet
from central.guard import GuardRule, RequestGuard, Role, principal_of
from central.identity import IdentityError, IdentityStore, TokenIssuer
from central.openapi import ERROR_RESPONSES, RowAfter, install_openapi
from central.register import DemoRegister, RegisterConnector
from central.settings import CentralSettings
from central.store import CentralStore, DocumentIdTaken, SqlCentralStore
from central.verify_page import judge, render_verify_page
from offline_queue.wire import (
    MAX_ERROR_FIELDS,
    SCHEMA_VERSION,
    AuthRequest,
    AuthToken,
    BatchAck,
    EnrollmentRequest,
    EnrollmentStatus,
    ErrorBody,
    ErrorCode,
    FieldError,
    Heartbeat,
    HeartbeatAck,
    KioskList,
    RecordBatch,
    RecordPage,
    contains_national_number,
)
from offline_queue.wire_citizen import STAFF_PROOF_PATH
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
    identities: IdentityStore
    tokens: TokenIssuer


class ApiError(Refusal):
    """A refusal of the records, documents and register routes."""


def _services(request: Request) -> _Services:
    services: _Services = request.app.state.services
    return services


@dataclass(frozen=True, slots=True, kw_only=True)
class KioskCaller:
    services: _Services
    kiosk_id: str
    """The kiosk named by the caller's token (an enrolled kiosk's own credential)."""

    def check_kiosk(self, kiosk_id: str) -> None:
        """Refuse (403) a message about a kiosk other than the caller."""
        if kiosk_id != self.kiosk_id:
            raise ApiError(
                status=403, code=ErrorCode.FORBIDDEN, message="a kiosk speaks only for itself"
            )


async def kiosk_auth(request: Request) -> KioskCaller:
    return KioskCaller(services=_services(request), kiosk_id=principal_of(request))


async def operator_auth(request: Request) -> _Services:
    principal_of(request)
    return _services(request)


KioskServices = Annotated[KioskCaller, Depends(kiosk_auth)]
OperatorServices = Annotated[_Services, Depends(operator_auth)]


_MESSAGE_MAX: Final = 500
_NO_TELEMETRY: Final[TelemetryConfig] = {"tracing": False, "metrics": False, "logs": False}
"""No OpenTelemetry export (the logs are JSON lines): FastAPI skips a lookup on every request."""


def _error_response(
    status: int,
    code: str,
    message: str = "",
    *,
    fields: tuple[FieldError, ...] = (),
    omitted: int = 0,
    retry_after: int | None = None,
) -> JSONResponse:
    body = ErrorBody(
        code=code, message=message[:_MESSAGE_MAX], fields=fields, fields_omitted=omitted
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal) -> JSONResponse:
        return _error_response(exc.status, exc.code.value, exc.message, retry_after=exc.retry_after)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        logger.error(
            "store unavailable",
            extra={"path": request.url.path, "error": str(exc), "cause": repr(exc.__cause__)[:200]},
        )
        return _error_response(503, ErrorCode.STORE_UNAVAILABLE.value, "database unavailable")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only the locations and kinds of the faults, never the input (it may hold personal data);
        # a location part written like a national number (a free-form map's key) is masked.
        faults = _field_errors(exc.errors())
        shown = tuple(faults[:MAX_ERROR_FIELDS])
        omitted = len(faults) - len(shown)
        logger.info(
            "invalid request",
            extra={"path": request.url.path, "fields": [f.loc for f in shown], "omitted": omitted},
        )
        return _error_response(
            422,
            ErrorCode.INVALID_REQUEST.value,
            f"{len(faults)} invalid field(s)",
            fields=shown,
            omitted=omitted,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: ErrorCode.NOT_FOUND, 413: ErrorCode.TOO_LARGE}
        code = codes.get(exc.status_code, ErrorCode.INVALID_REQUEST)
        answer = _error_response(exc.status_code, code.value, str(exc.detail))
        answer.headers.update(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only its first route's
            answer.headers["allow"] = ", ".join(_allowed_methods(request.app, request.url.path))
        return answer

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unexpected error",
            extra={"path": request.url.path, "error": type(exc).__name__},
        )
        return _error_response(500, ErrorCode.INTERNAL.value, "internal error")


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return sorted(methods - {"HEAD"})


_LOC_PART_MAX: Final = 64


def _loc_part(part: object) -> str:
    text = str(part)[:_LOC_PART_MAX]
    return "*" if contains_national_number(text) else text


def _field_errors(errors: object) -> list[FieldError]:
    faults: dict[str, FieldError] = {}
    for error in errors if isinstance(errors, list | tuple) else ():
        loc = ".".join(_loc_part(p) for p in error.get("loc", ()))[:200]
        kind = str(error.get("type", "invalid"))[:64]
        faults.setdefault(f"{loc}\0{kind}", FieldError(loc=loc, type=kind))
    return sorted(faults.values(), key=lambda f: (f.loc, f.type))


def _refuse_personal_keys(keys: Iterable[str], where: str) -> None:
    """Free-form maps may not be keyed by a national number (it would be stored and logged)."""
    if any(contains_national_number(key) for key in keys):
        raise ApiError(
            status=422,
            code=ErrorCode.PERSONAL_DATA,
            message=f"{where} keys must not contain personal identifiers",
        )


def _install_kiosk_routes(app: FastAPI) -> None:
    @app.post("/api/v1/records")
    def post_records(
        batch: RecordBatch,
        caller: KioskServices,
        http: Request,
        kiosk: Annotated[str | None, Header(alias=KIOSK_HEADER)] = None,
    ) -> BatchAck:
        caller.check_kiosk(batch.kiosk_id)
        if kiosk is not None and kiosk != batch.kiosk_id:
            raise ApiError(status=400, code=ErrorCode.KIOSK_MISMATCH, message="batch kiosk_id")
        for record in batch.records:
            caller.check_kiosk(record.kiosk_id)
            _refuse_personal_keys(record.extra.keys(), "record extra")
        services = caller.services
        try:
            ack = services.store.add_records(batch, received_at=datetime.now(tz=UTC))
        except DocumentIdTaken as err:
            raise ApiError(
                status=409,
                code=ErrorCode.DOCUMENT_ID_TAKEN,
                message="a document id of this batch belongs to another kiosk",
            ) from err
        logger.info(
            "records received",
            extra={
                "kiosk_id": batch.kiosk_id,
                "batch_id": batch.batch_id,
                "accepted": len(ack.accepted),
                "duplicates": len(ack.duplicates),
            },
        )
        http.app.state.fleet.records_received(batch.records, set(ack.accepted))
        return ack

    @app.post("/api/v1/heartbeat")
    def heartbeat(hb: Heartbeat, caller: KioskServices, http: Request) -> HeartbeatAck:
        caller.check_kiosk(hb.kiosk_id)
        _refuse_personal_keys(hb.devices.keys(), "heartbeat devices")
        fleet: FleetService = http.app.state.fleet  # its timeline, not the log, keeps heartbeats
        return fleet.heartbeat(hb, received_at=datetime.now(tz=UTC))


_IDENTITY_ERRORS: Final = {
    "bad_code": (401, ErrorCode.ENROLLMENT_REFUSED),
    "taken": (409, ErrorCode.ENROLLMENT_REFUSED),
    "invalid_key": (422, ErrorCode.ENROLLMENT_REFUSED),
    "replayed": (401, ErrorCode.REPLAYED),
}


def _identity_error(err: IdentityError) -> ApiError:
    status, code = _IDENTITY_ERRORS.get(err.code, (401, ErrorCode.UNAUTHORIZED))
    return ApiError(status=status, code=code, message=str(err))


def _install_identity_routes(app: FastAPI) -> None:
    @app.post("/api/v1/enroll", status_code=202)
    def enroll(request: EnrollmentRequest, http: Request) -> EnrollmentStatus:
        """A kiosk asks to be enrolled with its key and a one-time code; an operator decides."""
        try:
            state = _services(http).identities.enroll(request)
        except IdentityError as err:
            logger.info("enrollment refused", extra={"kiosk_id": request.kiosk_id, "why": err.code})
            raise _identity_error(err) from err
        logger.info("enrollment", extra={"kiosk_id": request.kiosk_id, "state": state.value})
        return EnrollmentStatus(kiosk_id=request.kiosk_id, state=state)

    @app.post("/api/v1/auth/token")
    def auth_token(request: AuthRequest, http: Request) -> AuthToken:
        """A short-lived token for an accepted kiosk, against a request signed with its key."""
        services = _services(http)
        try:
            kiosk_id = services.identities.authenticate(request)
        except IdentityError as err:
            logger.info("token refused", extra={"kiosk_id": request.kiosk_id, "why": err.code})
            raise _identity_error(err) from err
        token, expires = services.tokens.issue(kiosk_id)
        return AuthToken(token=token, expires_at=expires)


def _install_operator_routes(app: FastAPI) -> None:
    @app.get("/api/v1/records")
    def list_records(
        services: OperatorServices,
        kiosk_id: Annotated[str | None, Query(max_length=128)] = None,
        after: RowAfter = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> RecordPage:
        return services.store.list_records(kiosk_id=kiosk_id, after=after, limit=limit)

    @app.get("/api/v1/kiosks")
    def list_kiosks(
        services: OperatorServices,
        after: Annotated[str | None, Query(max_length=128)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> KioskList:
        return services.store.list_kiosks(after=after, limit=limit)


_VERIFY_MAX_BYTES: Final = 10 * 1024 * 1024


def _install_public_routes(app: FastAPI) -> None:
    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        _services(request).store.check()
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
        services = _services(request)
        issue = services.store.find_document(document_id)
        verdict = judge(issue, presented)
        logger.info(
            "verify",
            extra={"document_id": document_id, "found": issue is not None, "verdict": verdict},
        )
        return HTMLResponse(
            render_verify_page(
                document_id, issue, presented=presented, commune=services.register.commune_name
            ),
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
    sql_store = store or SqlCentralStore(settings.db_url)
    if not isinstance(sql_store, SqlCentralStore):
        raise TypeError("the central server needs a SQL store")
    identities = IdentityStore(sql_store.engine)
    services = _Services(
        settings=settings,
        store=sql_store,
        register=connector,
        identities=identities,
        tokens=TokenIssuer(identities.token_secret(settings.token_secret)),
    )

    fleet = FleetService(sql_store.engine, settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        fleet.start()
        yield
        fleet.stop()
        services.store.close()

    app = FastAPI(
        title="Borne central server",
        version="1",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        telemetry=_NO_TELEMETRY,
    )
    app.state.services = services
    _install_error_handlers(app)
    _install_kiosk_routes(app)
    _install_identity_routes(app)
    _install_operator_routes(app)
    _install_public_routes(app)
    fleet_rules = install_fleet(app, fleet) | staff_audit.install(app, fleet)
    fleet_rules |= kiosk_logs.install(app, fleet)
    install_console(app, store=sql_store, identities=identities, fleet=fleet)
    citizen_proof.install(app, citizen_proof.for_settings(sql_store.engine, settings))
    rules = {**_guard_rules(settings), **fleet_rules, **citizen_services.install(app)}
    install_openapi(app, rules)
    app.add_middleware(
        RequestGuard,
        rules=rules,
        authenticators=_authenticators(services, settings),
        default_max_body_bytes=settings.max_body_bytes,
    )
    return app


def _authenticators(
    services: _Services, settings: CentralSettings
) -> dict[Role, Callable[[str], str | None]]:
    """Who a bearer token is, per role (None: refused)."""

    def kiosk_principal(token: str) -> str | None:
        # only enrolled kiosks' own short-lived tokens: no token is shared by the fleet
        return services.tokens.kiosk_of(token)

    def operator_principal(token: str) -> str | None:
        if hmac.compare_digest(token.encode(), settings.operator_token.encode()):
            return "operator"
        return None

    return {Role.KIOSK: kiosk_principal, Role.OPERATOR: operator_principal}


_SMALL_BODY: Final = 16 * 1024


def _guard_rules(settings: CentralSettings) -> dict[tuple[str, str], GuardRule]:
    """Who may call each route, and how large its body may be, checked before it is read."""
    batch = settings.max_body_bytes
    return {
        ("POST", "/api/v1/records"): GuardRule(role=Role.KIOSK, max_body_bytes=batch),
        ("POST", "/api/v1/register/extract"): GuardRule(
            role=Role.KIOSK, max_body_bytes=_SMALL_BODY
        ),
        ("POST", "/api/v1/heartbeat"): GuardRule(role=Role.KIOSK, max_body_bytes=_SMALL_BODY),
        ("POST", citizen_proof.CHALLENGE_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=64),
        ("POST", STAFF_PROOF_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=_SMALL_BODY),
        ("GET", "/api/v1/records"): GuardRule(role=Role.OPERATOR, max_body_bytes=0),
        ("GET", "/api/v1/kiosks"): GuardRule(role=Role.OPERATOR, max_body_bytes=0),
        ("POST", "/api/v1/enroll"): GuardRule(role=None, max_body_bytes=_SMALL_BODY),
        ("POST", "/api/v1/auth/token"): GuardRule(role=None, max_body_bytes=_SMALL_BODY),
        ("POST", "/api/v1/verify"): GuardRule(role=None, max_body_bytes=_VERIFY_MAX_BYTES),
    }

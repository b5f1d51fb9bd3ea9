"""The fleet's JSON API: kiosk-facing configuration, reports and command results; the operator's
overview, timelines, commands, alerts, configuration, reconciliation and audit.

`install_fleet(app, …)` adds the routes, the error handler and returns the guard rules (who may
call each route, body limits) that the server's `RequestGuard` checks before any body is read.
The kiosk id of a kiosk's call comes from its credential; the operator's principal is the actor
written to the audit.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from central.calendar_day import FIRST_DAY, LAST_DAY, parse_day
from central.errors import Refusal
from central.fleet.alertbook import AlertNotFound, AlertTransitionRefused
from central.fleet.alerts import AlertKind, AlertState
from central.fleet.commands import CommandConflict, CommandForbidden, CommandNotFound
from central.fleet.config import DEFAULT_SCOPE, ConfigInvalid
from central.fleet.models import (
    AlertPage,
    AlertView,
    AuditPage,
    CommandPage,
    CommandRequest,
    CommandView,
    ConfigScope,
    ConfigUpdate,
    HeartbeatPage,
    OverviewPage,
    QueuedCommand,
    Reconciliation,
    TimelinePage,
)
from central.fleet.service import FleetService
from central.guard import GuardRule, Role, principal_of
from central.openapi import RowAfter, RowBefore, RowIdPath
from offline_queue.wire import (
    CommandResult,
    ConfigReport,
    ErrorBody,
    ErrorCode,
    KioskConfigDocument,
)

_SMALL: Final = 16 * 1024
_CONFIG_BODY: Final = 128 * 1024
KioskId = Annotated[str, Query(max_length=128)]
IsoDay = Annotated[
    str,
    Query(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        json_schema_extra={"format": "date"},
    ),
]
"""A calendar day as YYYY-MM-DD only (a bare number is not a day)."""


class FleetApiError(Refusal):
    """A refusal of the fleet routes."""


def _fleet(request: Request) -> FleetService:
    fleet: FleetService = request.app.state.fleet
    return fleet


def _caller_kiosk(request: Request, kiosk_id: str) -> str:
    """The calling (enrolled) kiosk; 403 when it speaks for another kiosk."""
    caller = principal_of(request)
    if caller != kiosk_id:
        raise FleetApiError(
            status=403, code=ErrorCode.FORBIDDEN, message="a kiosk speaks only for itself"
        )
    return caller


def _not_found(what: str) -> FleetApiError:
    return FleetApiError(status=404, code=ErrorCode.NOT_FOUND, message=f"no such {what}")


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = [part.strip().removeprefix("W/") for part in header.split(",")]
    return "*" in tags or f'"{etag}"' in tags


_ERROR_ANSWERS: Final[dict[int | str, dict[str, object]]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 413, 422)
}
kiosk_router = APIRouter(responses=_ERROR_ANSWERS)
operator_router = APIRouter(responses=_ERROR_ANSWERS)


@kiosk_router.get(
    "/api/v1/kiosks/{kiosk_id}/config",
    response_model=None,
    responses={
        200: {"model": KioskConfigDocument},
        304: {"description": "the kiosk already has this configuration (If-None-Match)"},
    },
)
def kiosk_config(
    kiosk_id: str,
    request: Request,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """The kiosk's configuration with a strong ETag; `If-None-Match` with it answers 304."""
    _caller_kiosk(request, kiosk_id)
    document = _fleet(request).kiosk_config(kiosk_id[:128])
    if document is None:
        raise _not_found("configuration")
    headers = {"ETag": f'"{document.etag}"', "Cache-Control": "no-cache"}
    if _etag_matches(if_none_match, document.etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(document.model_dump(mode="json"), headers=headers)


@kiosk_router.post("/api/v1/kiosks/{kiosk_id}/config/report", status_code=204)
def config_report(kiosk_id: str, report: ConfigReport, request: Request) -> Response:
    _caller_kiosk(request, kiosk_id)
    if report.kiosk_id != kiosk_id:
        raise FleetApiError(status=403, code=ErrorCode.FORBIDDEN, message="report kiosk_id")
    _fleet(request).config_report(report)
    return Response(status_code=204)


@kiosk_router.post("/api/v1/commands/{command_id}/result")
def command_result(command_id: str, result: CommandResult, request: Request) -> dict[str, bool]:
    """A kiosk's result; the same result again is accepted (`stored` false), another refused."""
    caller = _caller_kiosk(request, result.kiosk_id)
    if result.command_id != command_id:
        raise FleetApiError(
            status=400, code=ErrorCode.INVALID_REQUEST, message="command_id differs from the path"
        )
    try:
        stored = _fleet(request).command_result(result, caller_kiosk=caller)
    except CommandNotFound as err:
        raise _not_found("command") from err
    except CommandForbidden as err:
        raise FleetApiError(
            status=403, code=ErrorCode.FORBIDDEN, message="the command is another kiosk's"
        ) from err
    except CommandConflict as err:
        raise FleetApiError(
            status=409, code=ErrorCode.INVALID_REQUEST, message="a different result is stored"
        ) from err
    return {"stored": stored}


@operator_router.get("/api/v1/fleet/kiosks")
def overview(
    request: Request,
    after: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    online: bool | None = None,
    alerting: bool | None = None,
) -> OverviewPage:
    return _fleet(request).overview(after=after, limit=limit, online=online, alerting=alerting)


@operator_router.get("/api/v1/kiosks/{kiosk_id}/timeline")
def timeline(
    kiosk_id: str,
    request: Request,
    before: RowBefore = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TimelinePage:
    return _fleet(request).timeline(kiosk_id[:128], before=before, limit=limit)


@operator_router.get("/api/v1/kiosks/{kiosk_id}/heartbeats")
def heartbeats(
    kiosk_id: str,
    request: Request,
    before: RowBefore = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> HeartbeatPage:
    return _fleet(request).heartbeat_history(kiosk_id[:128], before=before, limit=limit)


@operator_router.post("/api/v1/kiosks/{kiosk_id}/commands", status_code=201)
def queue_command(kiosk_id: str, body: CommandRequest, request: Request) -> QueuedCommand:
    """Queue a command (delivered with the kiosk's next heartbeats, until it reports a result)."""
    return _fleet(request).queue_command(
        kiosk_id[:128], body.kind, arguments=dict(body.arguments), actor=principal_of(request)
    )


@operator_router.get("/api/v1/kiosks/{kiosk_id}/commands")
def list_commands(
    kiosk_id: str,
    request: Request,
    after: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CommandPage:
    return _fleet(request).list_commands(kiosk_id[:128], after=after, limit=limit)


@operator_router.get("/api/v1/commands/{command_id}")
def get_command(command_id: str, request: Request) -> CommandView:
    view = _fleet(request).commands.get(command_id[:128])
    if view is None:
        raise _not_found("command")
    return view


@operator_router.get("/api/v1/alerts")
def list_alerts(
    request: Request,
    *,
    kiosk_id: Annotated[str | None, Query(max_length=128)] = None,
    state: AlertState | None = None,
    kind: AlertKind | None = None,
    active: bool = False,
    after: RowAfter = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertPage:
    return _fleet(request).list_alerts(
        kiosk_id=kiosk_id, state=state, kind=kind, active=active, after=after, limit=limit
    )


def _alert_action(request: Request, alert_id: int, *, acknowledge: bool) -> AlertView:
    fleet, actor = _fleet(request), principal_of(request)
    try:
        if acknowledge:
            return fleet.acknowledge_alert(alert_id, actor=actor)
        return fleet.resolve_alert(alert_id, actor=actor)
    except AlertNotFound as err:
        raise _not_found("alert") from err
    except AlertTransitionRefused as err:
        raise FleetApiError(status=409, code=ErrorCode.INVALID_REQUEST, message=str(err)) from err


@operator_router.post("/api/v1/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: RowIdPath, request: Request) -> AlertView:
    return _alert_action(request, alert_id, acknowledge=True)


@operator_router.post("/api/v1/alerts/{alert_id}/resolve")
def resolve_alert(alert_id: RowIdPath, request: Request) -> AlertView:
    """Resolve by hand an alert nothing else can clear (payment to review, refused config)."""
    return _alert_action(request, alert_id, acknowledge=False)


def _put_config(request: Request, scope: str, update: ConfigUpdate) -> ConfigScope:
    try:
        return _fleet(request).put_config(scope, update.settings, actor=principal_of(request))
    except ConfigInvalid as err:
        raise FleetApiError(
            status=422, code=ErrorCode.INVALID_REQUEST, message=err.reason[:300]
        ) from err


def _get_config(request: Request, scope: str) -> ConfigScope:
    found = _fleet(request).config.scope(scope)
    if found is None:
        raise _not_found("configuration")
    return found


@operator_router.get("/api/v1/config")
def get_default_config(request: Request) -> ConfigScope:
    return _get_config(request, DEFAULT_SCOPE)


@operator_router.put("/api/v1/config")
def put_default_config(update: ConfigUpdate, request: Request) -> ConfigScope:
    return _put_config(request, DEFAULT_SCOPE, update)


@operator_router.get("/api/v1/kiosks/{kiosk_id}/config/override")
def get_override(kiosk_id: str, request: Request) -> ConfigScope:
    return _get_config(request, kiosk_id[:128])


@operator_router.put("/api/v1/kiosks/{kiosk_id}/config")
def put_override(kiosk_id: str, update: ConfigUpdate, request: Request) -> ConfigScope:
    if kiosk_id == DEFAULT_SCOPE:
        raise _not_found("kiosk")
    return _put_config(request, kiosk_id[:128], update)


@operator_router.get("/api/v1/kiosks/{kiosk_id}/reconciliation")
def reconciliation(kiosk_id: str, day: IsoDay, request: Request) -> Reconciliation:
    when = parse_day(day)
    if when is None:  # 2026-02-31, 0001-01-01
        raise FleetApiError(
            status=422,
            code=ErrorCode.INVALID_REQUEST,
            message=f"day is not a calendar day from {FIRST_DAY} to {LAST_DAY}",
        )
    return _fleet(request).reconciliation(kiosk_id[:128], when, actor=principal_of(request))


@operator_router.get("/api/v1/audit/operators")
def operator_audit(
    request: Request,
    after: RowAfter = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    return _fleet(request).audit(after=after, limit=limit)


def _rules() -> dict[tuple[str, str], GuardRule]:
    rules: dict[tuple[str, str], GuardRule] = {}
    for router, role in ((kiosk_router, Role.KIOSK), (operator_router, Role.OPERATOR)):
        for route in router.routes:
            path = getattr(route, "path", "")
            for method in getattr(route, "methods", ()):
                limit = 0 if method == "GET" else _SMALL
                if path.endswith("/config") and method == "PUT":
                    limit = _CONFIG_BODY
                rules[(method, path)] = GuardRule(role=role, max_body_bytes=limit)
    return rules


def install_fleet(app: FastAPI, fleet: FleetService) -> dict[tuple[str, str], GuardRule]:
    """Add the fleet's routes to `app`; the guard rules of those routes are returned."""
    app.state.fleet = fleet
    app.include_router(kiosk_router)
    app.include_router(operator_router)
    return _rules()

"""The fleet console's pages: server-rendered HTML (Jinja2), usable without JavaScript.

`install_console(app, …)` adds the routes under `/console` (and `/` → the console). Every page
needs a signed-in operator whose role allows it; every POST form carries the session's CSRF token;
every operator action (login, decision, code) is written to the audit trail. Cookies are HttpOnly,
SameSite=Strict, and Secure when the console is served over TLS.
"""

from __future__ import annotations

import difflib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from central.console.accounts import (
    AuditEntry,
    LoginOutcome,
    OperatorRole,
    OperatorStore,
    Session,
    same_token,
    valid_name,
)
from central.console.fleet_view import (
    LOCAL_TZ,
    Enrollment,
    FleetView,
    KioskRow,
    StatusFilter,
    advice,
)
from central.console.i18n import (
    DEFAULT_LANGUAGE,
    LANG_COOKIE,
    LANGUAGES,
    catalogue,
    negotiate,
    translate,
)
from central.fleet import FleetService
from central.fleet import config as fleet_config
from central.fleet import texts as fleet_texts
from central.fleet.alertbook import AlertNotFound, AlertTransitionRefused
from central.fleet.alerts import OPERATOR_RESOLVED_KINDS
from central.fleet.models import EventView
from central.identity import IdentityError, IdentityStore
from central.store import SqlCentralStore
from offline_queue.wire import CommandKind, EnrollmentState, StoredRecord

logger = logging.getLogger(__name__)

PREFIX: Final = "/console"
SESSION_COOKIE: Final = "borne_console_session"
LOGIN_CSRF_COOKIE: Final = "borne_console_login"
_HERE: Final = Path(__file__).resolve().parent
_FORM_MAX: Final = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Console:
    operators: OperatorStore
    identities: IdentityStore
    fleet: FleetView
    service: FleetService
    templates: jinja2.Environment
    clock: Callable[[], datetime]


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    """The signed-in operator of a request, with the language it is answered in."""

    console: Console
    session: Session
    lang: str


class _Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _Denied(Exception):
    def __init__(
        self, *, status: int, reason: str, viewer: Viewer | None, action: str, target: str = ""
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.viewer = viewer
        self.action = action
        self.target = target


def _ensure(viewer: Viewer, role: OperatorRole, *, action: str, target: str = "") -> None:
    """Refuse (403, audited) an action the viewer's role does not allow."""
    if not viewer.session.operator.role.allows(role):
        raise _Denied(
            status=403, reason="error.forbidden", viewer=viewer, action=action, target=target
        )


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _lang(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def _local_path(value: str | None) -> str:
    """A redirect target inside the console only (never another site)."""
    if value and value.startswith(PREFIX) and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/"


def requires(role: OperatorRole) -> Callable[[Request], Viewer]:
    def dependency(request: Request) -> Viewer:
        console = _console(request)
        session = console.operators.session(request.cookies.get(SESSION_COOKIE, ""))
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise _Redirect(f"{PREFIX}/login?next={quote(target)}")
        viewer = Viewer(console=console, session=session, lang=_lang(request))
        if not session.operator.role.allows(role):
            raise _Denied(
                status=403, reason="error.forbidden", viewer=viewer, action=request.url.path
            )
        return viewer

    return dependency


AnyOperator = Annotated[Viewer, Depends(requires(OperatorRole.VIEWER))]
Admin = Annotated[Viewer, Depends(requires(OperatorRole.ADMIN))]


async def _form(request: Request, viewer: Viewer | None, *, action: str) -> dict[str, str]:
    """The POSTed form, refused (403) unless it carries this session's CSRF token."""
    form = await request.form()
    fields = {k: str(v)[:_FORM_MAX] for k, v in form.items() if isinstance(v, str)}
    expected = viewer.session.csrf_token if viewer else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not same_token(fields.get("csrf", ""), expected):
        raise _Denied(status=403, reason="error.csrf", viewer=viewer, action=action)
    return fields


def _when(now: datetime, moment: datetime | None) -> str:
    """A moment in Brussels time: the time alone today, else with its date."""
    if moment is None:
        return "—"
    local = moment.astimezone(LOCAL_TZ)
    today = now.astimezone(LOCAL_TZ).date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%Y-%m-%d %H:%M")


def _ago(lang: str, now: datetime, moment: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return translate(lang, "time.seconds_ago", n=seconds)
    if seconds < 7200:
        return translate(lang, "time.minutes_ago", n=seconds // 60)
    if seconds < 172800:
        return translate(lang, "time.hours_ago", n=seconds // 3600)
    return translate(lang, "time.days_ago", n=seconds // 86400)


def _label(lang: str, prefix: str, value: str) -> str:
    """The translation of `prefix.value`, or the value itself when it has none (a device state)."""
    key = f"{prefix}.{value}"
    return translate(lang, key) if key in catalogue(lang) else value


def _render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    lang: str | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    console = _console(request)
    language = viewer.lang if viewer else (lang or _lang(request))
    now = console.clock()
    notice = request.query_params.get("notice", "")
    html = console.templates.get_template(template).render(
        t=partial(translate, language),
        lang=language,
        languages=LANGUAGES,
        viewer=viewer,
        operator=viewer.session.operator if viewer else None,
        csrf=viewer.session.csrf_token if viewer else "",
        path=request.url.path,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        now=now,
        when=partial(_when, now),
        ago=partial(_ago, language, now),
        can_operate=viewer is not None
        and viewer.session.operator.role.allows(OperatorRole.OPERATOR),
        is_admin=viewer is not None and viewer.session.operator.role.allows(OperatorRole.ADMIN),
        label=partial(_label, language),
        notice=notice if notice.startswith("notice.") and notice in catalogue(language) else "",
        notice_target=request.query_params.get("target", "")[:128],
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


render_page = _render
"""`_render`, for the console's pages kept in modules of their own."""


def _back(location: str, **query: str) -> RedirectResponse:
    suffix = ("&" if "?" in location else "?") + urlencode(query) if query else ""
    return RedirectResponse(location + suffix, status_code=303)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _install_handlers(app: FastAPI) -> None:
    async def redirect(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Redirect)
        return RedirectResponse(exc.location, status_code=303)

    async def denied(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Denied)
        viewer = exc.viewer
        if viewer is not None and request.method == "POST":
            viewer.console.operators.record(
                operator=viewer.session.operator.name,
                action=exc.action[:64],
                target=exc.target,
                outcome="forbidden" if exc.reason == "error.forbidden" else "csrf_refused",
            )
        logger.info(
            "console refused",
            extra={"path": request.url.path, "why": exc.reason, "status": exc.status},
        )
        return _render(request, "error.html", viewer=viewer, status=exc.status, reason=exc.reason)

    app.add_exception_handler(_Redirect, redirect)
    app.add_exception_handler(_Denied, denied)


def _install_session_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    @app.get(f"{PREFIX}/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str | None = None) -> HTMLResponse:
        return _login_form(request, next_path=_local_path(next), error="")

    @app.post(f"{PREFIX}/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        console = _console(request)
        fields = await _form(request, None, action="login")
        name = fields.get("name", "").strip()
        next_path = _local_path(fields.get("next"))
        client = request.client.host if request.client else "?"
        outcome, token = console.operators.login(name, fields.get("password", ""), client=client)
        audited = name if valid_name(name) else "?"
        console.operators.record(operator=audited, action="login", outcome=outcome.value)
        logger.info("console login", extra={"outcome": outcome.value})
        if outcome is not LoginOutcome.OK or token is None:
            error = "login.throttled" if outcome is LoginOutcome.THROTTLED else "login.refused"
            status = 429 if outcome is LoginOutcome.THROTTLED else 401
            return _login_form(request, next_path=next_path, error=error, status=status)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=f"{PREFIX}/login")
        return response

    @app.post(f"{PREFIX}/logout", include_in_schema=False)
    async def logout(request: Request, viewer: AnyOperator) -> Response:
        await _form(request, viewer, action="logout")
        viewer.console.operators.logout(request.cookies.get(SESSION_COOKIE, ""))
        viewer.console.operators.record(
            operator=viewer.session.operator.name, action="logout", outcome="ok"
        )
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get(f"{PREFIX}/lang/{{language}}", include_in_schema=False)
    def switch_language(request: Request, language: str, next: str | None = None) -> Response:
        response = RedirectResponse(_local_path(next), status_code=303)
        if language in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                language,
                max_age=365 * 86400,
                httponly=True,
                samesite="strict",
                secure=_secure(request),
                path="/",
            )
        return response


def _login_form(request: Request, *, next_path: str, error: str, status: int = 200) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    response = _render(
        request,
        "login.html",
        viewer=None,
        status=status,
        login_csrf=csrf,
        next_path=next_path,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=f"{PREFIX}/login",
    )
    return response


def _page_links(query: Mapping[str, str], page: int, pages: int) -> dict[str, str | None]:
    def link(number: int) -> str:
        return "?" + urlencode({**query, "page": str(number)})

    return {
        "first": link(1) if page > 1 else None,
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
        "last": link(pages) if page < pages else None,
    }


def _install_fleet_pages(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/", response_class=HTMLResponse, include_in_schema=False)
    def overview(
        request: Request,
        viewer: AnyOperator,
        *,
        status: Annotated[str, Query(max_length=16)] = "all",
        version: Annotated[str, Query(max_length=64)] = "",
        mode: Annotated[str, Query(max_length=32)] = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> HTMLResponse:
        chosen = StatusFilter(status) if status in set(StatusFilter) else StatusFilter.ALL
        now = viewer.console.clock()
        result = viewer.console.fleet.overview(
            now=now, status=chosen, version=version or None, mode=mode or None, page=page
        )
        query = {
            k: v for k, v in {"status": chosen.value, "version": version, "mode": mode}.items() if v
        }
        return _render(
            request,
            "overview.html",
            viewer=viewer,
            result=result,
            status_filter=chosen.value,
            statuses=[s.value for s in StatusFilter],
            version=version,
            mode=mode,
            links=_page_links(query, result.page, result.pages),
            advice_of=lambda row: advice(row, now=now, last_seen_text=_when(now, row.last_seen)),
        )

    @app.get(f"{PREFIX}/kiosks/{{kiosk_id}}", response_class=HTMLResponse, include_in_schema=False)
    def kiosk_detail(request: Request, viewer: AnyOperator, kiosk_id: str) -> HTMLResponse:
        kiosk_id = kiosk_id[:128]
        console = viewer.console
        now = console.clock()
        row = console.fleet.kiosk(kiosk_id, now=now)
        identity = console.fleet.enrollment(kiosk_id)
        if row is None and identity is None:
            return _render(
                request, "error.html", viewer=viewer, status=404, reason="error.no_kiosk"
            )
        records, _ = console.fleet.records(kiosk_id=kiosk_id, limit=10)
        actions = console.operators.audit_page(target=kiosk_id, limit=20)
        commands = console.service.list_commands(kiosk_id, limit=100).commands
        events = console.service.timeline(kiosk_id, limit=30).events
        alerts = console.service.list_alerts(kiosk_id=kiosk_id, active=True, limit=50).alerts
        return _render(
            request,
            "kiosk.html",
            viewer=viewer,
            kiosk_id=kiosk_id,
            row=row,
            identity=identity,
            records=records,
            timeline=_timeline(row, identity, records, actions, events),
            commands=sorted(commands, key=lambda c: c.issued_at, reverse=True)[:20],
            command_kinds=[k.value for k in _COMMANDS],
            alerts=alerts,
            fleet_text=partial(_fleet_text, viewer.lang),
            advice=advice(row, now=now, last_seen_text=_when(now, row.last_seen)) if row else [],
        )

    @app.get(f"{PREFIX}/records", response_class=HTMLResponse, include_in_schema=False)
    def records_page(
        request: Request,
        viewer: AnyOperator,
        kiosk: Annotated[str, Query(max_length=128)] = "",
        before: Annotated[int | None, Query(ge=1)] = None,
    ) -> HTMLResponse:
        records, older = viewer.console.fleet.records(kiosk_id=kiosk or None, before=before)
        query = {"kiosk": kiosk} if kiosk else {}
        older_link = "?" + urlencode({**query, "before": str(older)}) if older else None
        return _render(
            request,
            "records.html",
            viewer=viewer,
            records=records,
            kiosk=kiosk,
            older_link=older_link,
        )

    @app.get(f"{PREFIX}/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(
        request: Request,
        viewer: Admin,
        before: Annotated[int | None, Query(ge=1)] = None,
    ) -> HTMLResponse:
        entries = viewer.console.operators.audit_page(before=before, limit=50)
        older_link = f"?before={entries[-1].seq}" if len(entries) == 50 else None
        return _render(request, "audit.html", viewer=viewer, entries=entries, older_link=older_link)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEvent:
    at: datetime
    key: str
    values: dict[str, str]


def _timeline(
    row: KioskRow | None,
    identity: Enrollment | None,
    records: list[StoredRecord],
    actions: list[AuditEntry],
    fleet_events: tuple[EventView, ...] = (),
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = [
        TimelineEvent(
            at=e.at,
            key=f"timeline.event.{e.kind}"
            if f"timeline.event.{e.kind}" in catalogue(DEFAULT_LANGUAGE)
            else "timeline.fleet_event",
            values={"kind": e.kind, "detail": e.detail[:120]},
        )
        for e in fleet_events
    ]
    if row is not None:
        events.append(
            TimelineEvent(
                at=row.last_seen,
                key="timeline.heartbeat",
                values={"version": row.version},
            )
        )
    if identity is not None:
        events.append(
            TimelineEvent(at=identity.requested_at, key="timeline.enrollment_requested", values={})
        )
        if identity.decided_at is not None:
            events.append(
                TimelineEvent(
                    at=identity.decided_at,
                    key="timeline.enrollment_decided",
                    values={"state": identity.state.value},
                )
            )
    for stored in records:
        events.append(
            TimelineEvent(
                at=stored.received_at,
                key="timeline.record_one"
                if len(stored.record.document_ids) == 1
                else "timeline.record_many",
                values={
                    "outcome": stored.record.outcome,
                    "documents": str(len(stored.record.document_ids)),
                },
            )
        )
    for entry in actions:
        events.append(
            TimelineEvent(
                at=entry.at,
                key="timeline.operator_action",
                values={
                    "operator": entry.operator,
                    "action": entry.action,
                    "outcome": entry.outcome,
                },
            )
        )
    return sorted(events, key=lambda e: e.at, reverse=True)


_DECISIONS: Final = {
    "accept": (EnrollmentState.ACCEPTED, OperatorRole.OPERATOR),
    "reject": (EnrollmentState.REJECTED, OperatorRole.OPERATOR),
    "revoke": (EnrollmentState.REVOKED, OperatorRole.ADMIN),
}
_STATES: Final = ("pending", "accepted", "rejected", "revoked", "all")


def _install_enrollment_pages(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/enrollments", response_class=HTMLResponse, include_in_schema=False)
    def enrollments(
        request: Request,
        viewer: AnyOperator,
        state: Annotated[str, Query(max_length=16)] = "pending",
        after: Annotated[str | None, Query(max_length=128)] = None,
    ) -> HTMLResponse:
        chosen = EnrollmentState(state) if state in set(EnrollmentState) else None
        page = viewer.console.identities.list_identities(state=chosen, after=after, limit=51)
        next_link = (
            "?" + urlencode({"state": state, "after": page[49].kiosk_id})
            if len(page) > 50
            else None
        )
        return _render(
            request,
            "enrollments.html",
            viewer=viewer,
            identities=page[:50],
            state=chosen.value if chosen else "all",
            states=_STATES,
            next_link=next_link,
            new_code=None,
        )

    @app.post(f"{PREFIX}/enrollments/code", include_in_schema=False)
    async def new_code(request: Request, viewer: AnyOperator) -> HTMLResponse:
        _ensure(viewer, OperatorRole.OPERATOR, action="enrollment_code")
        await _form(request, viewer, action="enrollment_code")
        code = viewer.console.identities.new_enrollment_code()
        viewer.console.operators.record(
            operator=viewer.session.operator.name, action="enrollment_code", outcome="ok"
        )
        page = viewer.console.identities.list_identities(state=EnrollmentState.PENDING, limit=50)
        return _render(
            request,
            "enrollments.html",
            viewer=viewer,
            identities=page,
            state="pending",
            states=_STATES,
            next_link=None,
            new_code=code,
        )

    @app.post(f"{PREFIX}/enrollments/{{kiosk_id}}/{{decision}}", include_in_schema=False)
    async def decide(
        request: Request, viewer: AnyOperator, kiosk_id: str, decision: str
    ) -> Response:
        action = f"enrollment_{decision[:16]}"
        kiosk_id = kiosk_id[:128]
        if decision not in _DECISIONS:
            raise _Denied(status=404, reason="error.not_found", viewer=viewer, action=action)
        state, role = _DECISIONS[decision]
        _ensure(viewer, role, action=action, target=kiosk_id)
        await _form(request, viewer, action=action)
        name = viewer.session.operator.name
        try:
            viewer.console.identities.decide(kiosk_id, state)
        except IdentityError:
            viewer.console.operators.record(
                operator=name, action=action, target=kiosk_id, outcome="wrong_state"
            )
            return _back(f"{PREFIX}/enrollments", notice="notice.wrong_state", target=kiosk_id)
        viewer.console.operators.record(operator=name, action=action, target=kiosk_id, outcome="ok")
        logger.info("enrollment decided", extra={"kiosk_id": kiosk_id, "state": state.value})
        return _back(f"{PREFIX}/enrollments", notice=f"notice.{state.value}", target=kiosk_id)


_COMMANDS: Final = tuple(CommandKind)


def _fleet_text(lang: str, key: str) -> str:
    return fleet_texts.text(key, lang if lang in fleet_texts.LANGUAGES else "fr")


def _install_operations_pages(app: FastAPI) -> None:
    @app.get(f"{PREFIX}/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(
        request: Request,
        viewer: AnyOperator,
        show: Annotated[str, Query(max_length=16)] = "active",
    ) -> HTMLResponse:
        active = show != "all"
        page = viewer.console.service.list_alerts(active=active, limit=200)
        alerts = sorted(page.alerts, key=lambda a: a.opened_at, reverse=True)
        return _render(
            request,
            "alerts.html",
            viewer=viewer,
            alerts=alerts,
            show="active" if active else "all",
            fleet_text=partial(_fleet_text, viewer.lang),
            resolvable={k.value for k in OPERATOR_RESOLVED_KINDS},
        )

    @app.post(f"{PREFIX}/alerts/{{alert_id}}/acknowledge", include_in_schema=False)
    async def acknowledge(request: Request, viewer: AnyOperator, alert_id: int) -> Response:
        action = "alert_acknowledge"
        _ensure(viewer, OperatorRole.OPERATOR, action=action, target=str(alert_id))
        await _form(request, viewer, action=action)
        name = viewer.session.operator.name
        try:
            alert = viewer.console.service.acknowledge_alert(alert_id, actor=name)
        except (AlertNotFound, AlertTransitionRefused):
            viewer.console.operators.record(
                operator=name, action=action, target=str(alert_id), outcome="wrong_state"
            )
            return _back(f"{PREFIX}/alerts", notice="notice.alert_wrong_state")
        viewer.console.operators.record(
            operator=name, action=action, target=alert.kiosk_id, outcome="ok", detail=str(alert_id)
        )
        return _back(f"{PREFIX}/alerts", notice="notice.alert_acknowledged", target=alert.kiosk_id)

    @app.post(f"{PREFIX}/alerts/{{alert_id}}/resolve", include_in_schema=False)
    async def resolve(request: Request, viewer: AnyOperator, alert_id: int) -> Response:
        """Only the kinds nothing else clears (a resident's call, a payment to review...)."""
        action = "alert_resolve"
        _ensure(viewer, OperatorRole.OPERATOR, action=action, target=str(alert_id))
        await _form(request, viewer, action=action)
        name = viewer.session.operator.name
        try:
            alert = viewer.console.service.resolve_alert(alert_id, actor=name)
        except (AlertNotFound, AlertTransitionRefused):
            viewer.console.operators.record(
                operator=name, action=action, target=str(alert_id), outcome="wrong_state"
            )
            return _back(f"{PREFIX}/alerts", notice="notice.alert_wrong_state")
        viewer.console.operators.record(
            operator=name, action=action, target=alert.kiosk_id, outcome="ok", detail=str(alert_id)
        )
        return _back(f"{PREFIX}/alerts", notice="notice.alert_resolved", target=alert.kiosk_id)

    @app.post(f"{PREFIX}/kiosks/{{kiosk_id}}/commands", include_in_schema=False)
    async def send_command(request: Request, viewer: AnyOperator, kiosk_id: str) -> Response:
        kiosk_id = kiosk_id[:128]
        action = "command_queue"
        _ensure(viewer, OperatorRole.OPERATOR, action=action, target=kiosk_id)
        fields = await _form(request, viewer, action=action)
        kind = fields.get("kind", "")
        name = viewer.session.operator.name
        location = f"{PREFIX}/kiosks/{quote(kiosk_id)}"
        if kind not in set(CommandKind):
            return _back(location, notice="notice.command_unknown")
        queued = viewer.console.service.queue_command(kiosk_id, CommandKind(kind), actor=name)
        viewer.console.operators.record(
            operator=name, action=action, target=kiosk_id, outcome="ok", detail=kind
        )
        if queued.maintenance_code:
            return _render(
                request,
                "code.html",
                viewer=viewer,
                kiosk_id=kiosk_id,
                code=queued.maintenance_code,
            )
        return _back(location, notice="notice.command_queued", target=kiosk_id)


def _config_text(settings: dict[str, object]) -> str:
    return json.dumps(settings, indent=2, sort_keys=True, ensure_ascii=False)


def _parse_config(text: str) -> tuple[dict[str, object] | None, str]:
    """The settings typed by the operator, or None and why they are refused (shown as is)."""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"JSON: {err.msg} (line {err.lineno}, column {err.colno})"
    if not isinstance(settings, dict):
        return None, "JSON: the configuration must be an object of sections"
    try:
        fleet_config.validate(settings)
    except fleet_config.ConfigInvalid as err:
        return None, err.reason
    return settings, ""


def _install_config_pages(app: FastAPI) -> None:
    def page(
        request: Request, viewer: Viewer, *, text: str | None, error: str, diff: list[str]
    ) -> HTMLResponse:
        current = viewer.console.service.config.scope(fleet_config.DEFAULT_SCOPE)
        saved = _config_text(current.settings) if current else "{}"
        return _render(
            request,
            "config.html",
            viewer=viewer,
            status=422 if error else 200,
            current=current,
            text=saved if text is None else text,
            error=error,
            diff=diff,
            revision=str(current.revision) if current else "0",
        )

    @app.get(f"{PREFIX}/config", response_class=HTMLResponse, include_in_schema=False)
    def config_page(request: Request, viewer: AnyOperator) -> HTMLResponse:
        return page(request, viewer, text=None, error="", diff=[])

    @app.post(f"{PREFIX}/config", include_in_schema=False)
    async def config_post(request: Request, viewer: AnyOperator) -> Response:
        action = "config_edit"
        _ensure(viewer, OperatorRole.ADMIN, action=action, target="fleet")
        form = await request.form()
        text = str(form.get("settings", ""))[: 256 * 1024]
        if not same_token(str(form.get("csrf", "")), viewer.session.csrf_token):
            raise _Denied(status=403, reason="error.csrf", viewer=viewer, action=action)
        settings, error = _parse_config(text)
        if settings is None:
            return page(request, viewer, text=text, error=error, diff=[])
        current = viewer.console.service.config.scope(fleet_config.DEFAULT_SCOPE)
        before = _config_text(current.settings) if current else "{}"
        after = _config_text(settings)
        if str(form.get("confirm", "")) != "save":
            diff = list(
                difflib.unified_diff(
                    before.splitlines(), after.splitlines(), "saved", "new", lineterm=""
                )
            )
            return page(request, viewer, text=text, error="", diff=diff or ["(no change)"])
        if str(form.get("revision", "")) != (str(current.revision) if current else "0"):
            return _back(f"{PREFIX}/config", notice="notice.config_changed_meanwhile")
        name = viewer.session.operator.name
        try:
            viewer.console.service.put_config(fleet_config.DEFAULT_SCOPE, settings, actor=name)
        except fleet_config.ConfigInvalid as err:
            return page(request, viewer, text=text, error=err.reason, diff=[])
        viewer.console.operators.record(operator=name, action=action, target="fleet", outcome="ok")
        return _back(f"{PREFIX}/config", notice="notice.config_saved")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def install_console(
    app: FastAPI,
    *,
    store: SqlCentralStore,
    identities: IdentityStore,
    fleet: FleetService,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Add the fleet console to the central server's application."""
    now = clock or (lambda: datetime.now(tz=UTC))
    app.state.console = Console(
        operators=OperatorStore(store.engine, clock=lambda: now().timestamp()),
        identities=identities,
        fleet=FleetView(store),
        service=fleet,
        templates=_environment(),
        clock=now,
    )
    _install_handlers(app)
    _install_session_routes(app)
    _install_fleet_pages(app)
    _install_enrollment_pages(app)
    _install_operations_pages(app)
    _install_config_pages(app)
    # the pages kept in modules of their own build on this one's helpers: imported once it is loaded
    from central.console.reconciliation_page import install_reconciliation_page  # noqa: PLC0415

    install_reconciliation_page(app)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=_HERE / "static"), name="console-static")

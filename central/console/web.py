"""The fleet console's pages: server-rendered HTML (Jinja2), usable without JavaScript.

`install_console(app, …)` adds the routes under `/console` (and `/` → the console). Every page
needs a signed-in operator whose role allows it; every POST form carries the session's CSRF token;
every operator action (login, decision, code) is written to the audit trail. Cookies are HttpOnly,
SameSite=Strict, and Secure when the console is served over TLS.
"""

from __future__ import annotations

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
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from central.console.accounts import (
    LoginOutcome,
    OperatorRole,
    OperatorStore,
    Session,
    same_token,
    valid_name,
)
from central.console.fleet_view import (
    LOCAL_TZ,
    FleetView,
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
from central.fleet import texts as fleet_texts
from central.identity import IdentityStore
from central.store import SqlCentralStore

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


def _detail(lang: str, now: datetime, detail: str) -> str:
    """An alert's detail in words (the machine words it has no wording for kept as they are)."""
    language = lang if lang in fleet_texts.LANGUAGES else DEFAULT_LANGUAGE
    return fleet_texts.describe(detail, language, moment=partial(_when, now))


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
        detail=partial(_detail, language, now),
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

    _install_language_route(app)


def _install_language_route(app: FastAPI) -> None:
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
    # the pages kept in modules of their own build on this one's helpers: imported once it is loaded
    from central.console.fleet_pages import install_fleet_pages  # noqa: PLC0415
    from central.console.kiosk_config_page import install_kiosk_config_page  # noqa: PLC0415
    from central.console.lookups_page import install_lookups_page  # noqa: PLC0415
    from central.console.operations_pages import install_operations_pages  # noqa: PLC0415
    from central.console.reconciliation_page import install_reconciliation_page  # noqa: PLC0415

    install_fleet_pages(app)
    install_operations_pages(app)

    install_reconciliation_page(app)
    install_lookups_page(app)
    install_kiosk_config_page(app)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=_HERE / "static"), name="console-static")

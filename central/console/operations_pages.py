"""The console's operations pages: enrollments, alerts, commands and the fleet configuration."""

from __future__ import annotations

import difflib
import json
from functools import partial
from typing import Annotated, Final
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from central.console.accounts import (
    OperatorRole,
    same_token,
)
from central.console.web import (
    PREFIX,
    AnyOperator,
    Viewer,
    _back,
    _Denied,
    _ensure,
    _form,
    _render,
    logger,
)
from central.fleet import config as fleet_config
from central.fleet import texts as fleet_texts
from central.fleet.alertbook import AlertNotFound, AlertTransitionRefused
from central.fleet.alerts import OPERATOR_RESOLVED_KINDS
from central.identity import IdentityError
from central.openapi import RowIdPath
from offline_queue.wire import CommandKind, EnrollmentState


def install_operations_pages(app: FastAPI) -> None:
    _install_enrollment_pages(app)
    _install_decision_pages(app)
    _install_operations_pages(app)
    _install_alert_resolution_and_commands(app)
    _install_config_pages(app)


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


def _install_decision_pages(app: FastAPI) -> None:
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
    async def acknowledge(request: Request, viewer: AnyOperator, alert_id: RowIdPath) -> Response:
        return await _alert_transition(request, viewer, alert_id, acknowledge=True)


async def _alert_transition(
    request: Request, viewer: Viewer, alert_id: int, *, acknowledge: bool
) -> Response:
    """Acknowledge or resolve an alert from the alerts page, audited either way."""
    action = "alert_acknowledge" if acknowledge else "alert_resolve"
    _ensure(viewer, OperatorRole.OPERATOR, action=action, target=str(alert_id))
    await _form(request, viewer, action=action)
    name = viewer.session.operator.name
    service = viewer.console.service
    try:
        if acknowledge:
            alert = service.acknowledge_alert(alert_id, actor=name)
        else:
            alert = service.resolve_alert(alert_id, actor=name)
    except (AlertNotFound, AlertTransitionRefused):
        viewer.console.operators.record(
            operator=name, action=action, target=str(alert_id), outcome="wrong_state"
        )
        return _back(f"{PREFIX}/alerts", notice="notice.alert_wrong_state")
    viewer.console.operators.record(
        operator=name, action=action, target=alert.kiosk_id, outcome="ok", detail=str(alert_id)
    )
    notice = "notice.alert_acknowledged" if acknowledge else "notice.alert_resolved"
    return _back(f"{PREFIX}/alerts", notice=notice, target=alert.kiosk_id)


def _install_alert_resolution_and_commands(app: FastAPI) -> None:
    @app.post(f"{PREFIX}/alerts/{{alert_id}}/resolve", include_in_schema=False)
    async def resolve(request: Request, viewer: AnyOperator, alert_id: RowIdPath) -> Response:
        """Only the kinds nothing else clears (a resident's call, a payment to review...)."""
        return await _alert_transition(request, viewer, alert_id, acknowledge=False)

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

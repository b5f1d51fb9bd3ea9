"""The console's page of a kiosk's own configuration: one field per setting it may override
(`central.fleet.overrides`), beside the fleet's default and what the kiosk runs. Saving is
previewed as a diff of what the kiosk will run, validated exactly as the kiosk validates
`kiosk.toml`, audited, and reaches the kiosk through its configuration pull (a new ETag)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from central.console.accounts import OperatorRole
from central.console.web import PREFIX, AnyOperator, Viewer, _back, _ensure, _form, _render
from central.fleet import config as fleet_config
from central.fleet.models import ConfigScope
from central.fleet.overrides import (
    OVERRIDE_FIELDS,
    form_values,
    read_form,
    setting_of,
    unmanaged_sections,
)


def _shown(settings: Mapping[str, object]) -> str:
    """A document as the diff shows it: the staff allow-list (national numbers) as a count."""
    shown = dict(settings)
    staff = shown.get("staff")
    if isinstance(staff, Mapping) and isinstance(staff.get("allow"), list):
        shown["staff"] = {**staff, "allow": f"({len(staff['allow'])} entries)"}
    return json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False)


def _combined(kept: dict[str, object], typed: dict[str, object]) -> dict[str, object]:
    combined = dict(kept)
    for section, body in typed.items():
        base = combined.get(section)
        combined[section] = (
            {**base, **body} if isinstance(base, dict) and isinstance(body, dict) else body
        )
    return combined


def _documents(viewer: Viewer, kiosk_id: str) -> tuple[dict[str, object], dict[str, object], int]:
    """The fleet's default, the kiosk's override and the override's revision (0: none yet)."""
    book = viewer.console.service.config
    default = book.scope(fleet_config.DEFAULT_SCOPE)
    override = book.scope(kiosk_id)
    return (
        default.settings if default else {},
        override.settings if override else {},
        override.revision if override else 0,
    )


def _page(
    request: Request,
    viewer: Viewer,
    kiosk_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    error: str = "",
    diff: list[str] | None = None,
) -> HTMLResponse:
    default, override, revision = _documents(viewer, kiosk_id)
    merged = fleet_config.merge(default, override)
    return _render(
        request,
        "kiosk_config.html",
        viewer=viewer,
        status=422 if (error or errors) else 200,
        kiosk_id=kiosk_id,
        fields=OVERRIDE_FIELDS,
        default_of=lambda name: setting_of(default, name),
        running_of=lambda name: setting_of(merged, name),
        values=form_values(override) if values is None else values,
        errors=dict(errors or {}),
        error=error,
        diff=diff or [],
        revision=str(revision),
        overridden=sorted(form_values(override)),
    )


def overridden_of(override: ConfigScope | None) -> list[str]:
    """The settings of the form a kiosk's override sets, for its page."""
    return sorted(form_values(override.settings)) if override is not None else []


def install_kiosk_config_page(app: FastAPI) -> None:
    path = f"{PREFIX}/kiosks/{{kiosk_id}}/config"

    @app.get(path, response_class=HTMLResponse, include_in_schema=False)
    def kiosk_config(request: Request, viewer: AnyOperator, kiosk_id: str) -> HTMLResponse:
        return _page(request, viewer, kiosk_id[:128])

    @app.post(path, include_in_schema=False)
    async def kiosk_config_post(request: Request, viewer: AnyOperator, kiosk_id: str) -> Response:
        kiosk_id = kiosk_id[:128]
        action = "kiosk_config_edit"
        _ensure(viewer, OperatorRole.ADMIN, action=action, target=kiosk_id)
        fields = await _form(request, viewer, action=action)
        values = {spec.name: fields.get(spec.name, "") for spec in OVERRIDE_FIELDS}
        reading = read_form(fields)
        if reading.errors:
            return _page(request, viewer, kiosk_id, values=values, errors=reading.errors)
        default, override, revision = _documents(viewer, kiosk_id)
        new = _combined(unmanaged_sections(override), reading.override)
        try:
            fleet_config.validate_part(new)
            fleet_config.validate(fleet_config.merge(default, new))
        except fleet_config.ConfigInvalid as err:
            return _page(request, viewer, kiosk_id, values=values, error=err.reason)
        if fields.get("confirm") != "save":
            before = _shown(fleet_config.merge(default, override)).splitlines()
            after = _shown(fleet_config.merge(default, new)).splitlines()
            diff = list(difflib.unified_diff(before, after, "running", "new", lineterm=""))
            return _page(request, viewer, kiosk_id, values=values, diff=diff or ["(no change)"])
        location = f"{PREFIX}/kiosks/{quote(kiosk_id)}/config"
        if fields.get("revision") != str(revision):
            return _back(location, notice="notice.config_changed_meanwhile")
        name = viewer.session.operator.name
        viewer.console.service.put_config(kiosk_id, new, actor=name)
        viewer.console.operators.record(
            operator=name,
            action=action,
            target=kiosk_id,
            outcome="ok",
            detail=",".join(sorted(form_values(new))),
        )
        return _back(location, notice="notice.config_saved")

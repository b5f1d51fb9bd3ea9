"""The console's fleet pages: the overview, a kiosk's page with its timeline, records, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from central.console.accounts import (
    AuditEntry,
)
from central.console.fleet_view import (
    Enrollment,
    KioskRow,
    StatusFilter,
    advice,
)
from central.console.i18n import (
    DEFAULT_LANGUAGE,
    catalogue,
)
from central.console.kiosk_config_page import overridden_of
from central.console.logs_page import uploads_of
from central.console.operations_pages import _COMMANDS, _fleet_text
from central.console.web import (
    PREFIX,
    Admin,
    AnyOperator,
    _page_links,
    _render,
    _when,
)
from central.fleet.models import EventView
from offline_queue.wire import StoredRecord


def install_fleet_pages(app: FastAPI) -> None:
    _install_fleet_pages(app)
    _install_kiosk_page(app)
    _install_list_pages(app)


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


def _install_kiosk_page(app: FastAPI) -> None:
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
            log_uploads=uploads_of(request, kiosk_id),
            overridden=overridden_of(console.service.config.scope(kiosk_id)),
            fleet_text=partial(_fleet_text, viewer.lang),
            advice=advice(row, now=now, last_seen_text=_when(now, row.last_seen)) if row else [],
        )


def _install_list_pages(app: FastAPI) -> None:
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
    events += _record_and_action_events(records, actions)
    return sorted(events, key=lambda e: e.at, reverse=True)


def _record_and_action_events(
    records: list[StoredRecord], actions: list[AuditEntry]
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
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
    return events

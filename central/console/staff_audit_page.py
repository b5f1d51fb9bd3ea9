"""The console's page of a kiosk's staff audit: its staff events, newest first, and the chain's
state as the central checked it on ingest (`central.staff_audit`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from central.console.web import PREFIX, AnyOperator, _render

if TYPE_CHECKING:
    from central.staff_audit import StaffAuditBook

PAGE_SIZE = 50


def install_staff_audit_page(app: FastAPI) -> None:
    """`GET /console/kiosks/{kiosk_id}/staff-audit` (any signed-in operator)."""

    @app.get(
        f"{PREFIX}/kiosks/{{kiosk_id}}/staff-audit",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def staff_audit_page(
        request: Request,
        viewer: AnyOperator,
        kiosk_id: str,
        before: Annotated[int | None, Query(ge=1)] = None,
    ) -> HTMLResponse:
        kiosk_id = kiosk_id[:128]
        book: StaffAuditBook = request.app.state.staff_audit
        events = book.stored(kiosk_id, before=before, limit=PAGE_SIZE)
        breaks = book.breaks(kiosk_id)
        older = f"?before={events[-1].seq}" if len(events) == PAGE_SIZE else None
        return _render(
            request,
            "staff_audit.html",
            viewer=viewer,
            kiosk_id=kiosk_id,
            events=events,
            breaks=breaks,
            chain_ok=not breaks,
            older_link=older,
        )

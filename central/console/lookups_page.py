"""The console's audit of the register lookups (`central.lookup_audit`): a server-rendered,
paged table with filters by kiosk, outcome and day (a GET form, usable without JavaScript).
Administrators only, as the operators' audit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from central.calendar_day import parse_day
from central.console.web import PREFIX, Admin, render_page
from central.lookup_audit import OUTCOMES, LookupFilter, lookups
from central.openapi import RowBefore
from central.store import SqlCentralStore

PAGE_SIZE: Final = 50


def _day(value: str) -> date | None:
    return parse_day(value) if value else None


def install_lookups_page(app: FastAPI) -> None:
    """`GET /console/register-lookups?kiosk=&outcome=&from=&to=&before=`."""

    @app.get(f"{PREFIX}/register-lookups", response_class=HTMLResponse, include_in_schema=False)
    def lookups_page(
        request: Request,
        viewer: Admin,
        *,
        kiosk: Annotated[str, Query(max_length=128)] = "",
        outcome: Annotated[str, Query(max_length=64)] = "",
        day_from: Annotated[str, Query(alias="from", max_length=10)] = "",
        day_to: Annotated[str, Query(alias="to", max_length=10)] = "",
        before: RowBefore = None,
    ) -> HTMLResponse:
        chosen = LookupFilter(
            kiosk_id=kiosk.strip() or None,
            outcome=outcome if outcome in OUTCOMES else None,
            day_from=_day(day_from),
            day_to=_day(day_to),
        )
        store: SqlCentralStore = request.app.state.services.store
        rows = lookups(store.engine, chosen, before=before, limit=PAGE_SIZE)
        query = {
            "kiosk": chosen.kiosk_id or "",
            "outcome": chosen.outcome or "",
            "from": chosen.day_from.isoformat() if chosen.day_from else "",
            "to": chosen.day_to.isoformat() if chosen.day_to else "",
        }
        kept = {k: v for k, v in query.items() if v}
        older = (
            "?" + urlencode({**kept, "before": str(rows[-1].seq)})
            if len(rows) == PAGE_SIZE
            else None
        )
        bad_day = bool((day_from and not chosen.day_from) or (day_to and not chosen.day_to))
        return render_page(
            request,
            "lookups.html",
            viewer=viewer,
            rows=rows,
            filters=query,
            outcomes=OUTCOMES,
            older_link=older,
            newest_link="?" + urlencode(kept) if before is not None else None,
            bad_day=bad_day,
        )

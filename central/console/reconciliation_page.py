"""The console's reconciliation page: a kiosk's day, payments against documents against the
payment terminal's end-of-day totals, with every difference highlighted and what to do about it.

`GET /console/kiosks/{kiosk_id}/reconciliation?day=YYYY-MM-DD` (default: today in Brussels), for
every signed-in operator; the numbers come from `central.fleet.reconcile` (the JSON route's), and
each view is written to the fleet's audit as `reconciliation.view`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from central.calendar_day import parse_day
from central.console.fleet_view import LOCAL_TZ
from central.console.web import PREFIX, AnyOperator, render_page

DIFFERENCE_CODES: Final = (
    "amount_mismatch",
    "count_mismatch",
    "paid_without_document",
    "document_without_payment",
    "payment_unknown",
    "no_terminal_totals",
)
"""The differences `central.fleet.reconcile` reports; each has an explanation and a to-do text."""


def euros(cents: int) -> str:
    """An amount as the console prints it: "12,50 €" (no thousands separator)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d} €"


def _day(value: str, today: date) -> date | None:
    if not value:
        return today
    return parse_day(value)


def install_reconciliation_page(app: FastAPI) -> None:
    @app.get(
        f"{PREFIX}/kiosks/{{kiosk_id}}/reconciliation",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def reconciliation_page(
        request: Request,
        viewer: AnyOperator,
        kiosk_id: str,
        day: Annotated[str, Query(max_length=10)] = "",
    ) -> HTMLResponse:
        kiosk_id = kiosk_id[:128]
        console = viewer.console
        today = console.clock().astimezone(LOCAL_TZ).date()
        chosen = _day(day, today)
        if chosen is None:
            return render_page(
                request, "error.html", viewer=viewer, status=400, reason="error.bad_day"
            )
        result = console.service.reconciliation(
            kiosk_id, chosen, actor=viewer.session.operator.name
        )
        base = f"{PREFIX}/kiosks/{quote(kiosk_id)}/reconciliation"
        return render_page(
            request,
            "reconciliation.html",
            viewer=viewer,
            kiosk_id=kiosk_id,
            day=chosen,
            result=result,
            euros=euros,
            known_codes=DIFFERENCE_CODES,
            previous_link=f"{base}?day={(chosen - timedelta(days=1)).isoformat()}",
            next_link=f"{base}?day={(chosen + timedelta(days=1)).isoformat()}"
            if chosen < today
            else None,
        )

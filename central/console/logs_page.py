"""The console's download of a kiosk's redacted logs (`central.kiosk_logs`); the kiosk's page
lists the uploads (`uploads_of`). Downloading needs the operator role and is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from central.console.accounts import OperatorRole
from central.console.web import PREFIX, AnyOperator, _Denied, _render
from central.openapi import RowIdPath
from offline_queue.wire import LogUploadInfo

if TYPE_CHECKING:
    from central.kiosk_logs import LogBook


def uploads_of(request: Request, kiosk_id: str) -> tuple[LogUploadInfo, ...]:
    """The kiosk's kept uploads, newest first, for its page."""
    book: LogBook = request.app.state.log_book
    return book.uploads(kiosk_id)


def install_logs_page(app: FastAPI) -> None:
    """`GET /console/kiosks/{kiosk_id}/logs/{upload_id}` (operator or admin): the JSON lines."""

    @app.get(
        f"{PREFIX}/kiosks/{{kiosk_id}}/logs/{{upload_id}}",
        response_class=Response,
        include_in_schema=False,
    )
    def download_logs(
        request: Request, viewer: AnyOperator, kiosk_id: str, upload_id: RowIdPath
    ) -> Response:
        kiosk_id = kiosk_id[:128]
        operators = viewer.console.operators
        name = viewer.session.operator.name
        if not viewer.session.operator.role.allows(OperatorRole.OPERATOR):
            operators.record(
                operator=name, action="logs_download", target=kiosk_id, outcome="forbidden"
            )
            raise _Denied(
                status=403, reason="error.forbidden", viewer=viewer, action="logs_download"
            )
        book: LogBook = request.app.state.log_book
        found = book.upload(kiosk_id, upload_id)
        if found is None:
            return _render(
                request, "error.html", viewer=viewer, status=404, reason="error.not_found"
            )
        operators.record(
            operator=name,
            action="logs_download",
            target=kiosk_id,
            outcome="ok",
            detail=str(upload_id),
        )
        filename = f"{kiosk_id}-logs-{upload_id}.jsonl"
        return Response(
            found.text,
            media_type="application/x-ndjson; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

"""The kiosks' redacted logs at the central: received on an operator's `upload_logs` command.

`POST /api/v1/logs` takes a kiosk's `LogUpload` (the kiosk named by its own credential). The
kiosk redacts its lines before sending them (`kiosk.logs.redacted_lines`); an upload that still
holds something written like a national number is refused (422, nothing stored). Uploads are
capped in size (`MAX_LOG_TEXT_CHARS`, and the guard's body limit before the body is read) and
kept per kiosk for `RETENTION_DAYS`, at most `KEPT_PER_KIOSK` of them.

`GET /api/v1/kiosks/{kiosk_id}/logs` lists a kiosk's uploads and
`GET /api/v1/kiosks/{kiosk_id}/logs/{upload_id}` returns one (operator token); the console's
kiosk page lists and downloads them (`central.console.logs_page`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request

from central import db
from central.console.logs_page import install_logs_page
from central.fleet import FleetService
from central.fleet.router import FleetApiError
from central.guard import GuardRule, Role, principal_of
from central.openapi import RowIdPath
from offline_queue.wire import (
    LOGS_PATH,
    MAX_LOG_TEXT_CHARS,
    ErrorCode,
    LogUpload,
    LogUploadAck,
    LogUploadInfo,
    LogUploadList,
    WireModel,
    contains_national_number,
)

logger = logging.getLogger(__name__)

LIST_PATH: Final = "/api/v1/kiosks/{kiosk_id}/logs"
ONE_PATH: Final = "/api/v1/kiosks/{kiosk_id}/logs/{upload_id}"
RETENTION_DAYS: Final = 30
KEPT_PER_KIOSK: Final = 20
_BODY_MAX: Final = MAX_LOG_TEXT_CHARS * 2 + 4096
"""The kiosk's log lines are ASCII JSON (their own escapes doubled by the envelope's): up to
twice the text, plus the envelope. A text the schema admits but that escapes longer (non-ASCII
characters as `\\uXXXX`) is refused as too large, a 413."""

log_uploads = sa.Table(
    "log_uploads",
    db.metadata,
    sa.Column("upload_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
    sa.Column("command_id", sa.String(128)),
    sa.Column("collected_at", sa.Float(), nullable=False),
    sa.Column("received_at", sa.Float(), nullable=False, index=True),
    sa.Column("lines", sa.Integer(), nullable=False),
    sa.Column("chars", sa.Integer(), nullable=False),
    sa.Column("truncated", sa.Boolean(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
)


class LogUploadText(WireModel):
    """One stored upload with its redacted lines."""

    upload: LogUploadInfo
    text: str


class PersonalDataInLogs(ValueError):
    """An upload still holds something written like a national number."""


def _info(row: sa.Row[tuple[object, ...]]) -> LogUploadInfo:
    return LogUploadInfo(
        upload_id=int(str(row.upload_id)),
        kiosk_id=str(row.kiosk_id),
        command_id=None if row.command_id is None else str(row.command_id),
        collected_at=datetime.fromtimestamp(float(str(row.collected_at)), UTC),
        received_at=datetime.fromtimestamp(float(str(row.received_at)), UTC),
        lines=int(str(row.lines)),
        chars=int(str(row.chars)),
        truncated=bool(row.truncated),
    )


_INFO_COLUMNS: Final = tuple(c for c in log_uploads.c if c.name != "body")


class LogBook:
    """The uploads of every kiosk, on the fleet's engine."""

    def __init__(self, fleet: FleetService) -> None:
        self._db = fleet.db

    def ingest(self, upload: LogUpload) -> LogUploadAck:
        if contains_national_number(upload.text):
            raise PersonalDataInLogs("the upload holds a national number")
        now = self._db.clock()
        with self._db.write("the kiosk's logs") as connection:
            upload_id = connection.execute(
                sa.insert(log_uploads)
                .values(
                    kiosk_id=upload.kiosk_id,
                    command_id=upload.command_id,
                    collected_at=upload.collected_at.timestamp(),
                    received_at=now,
                    lines=upload.lines,
                    chars=len(upload.text),
                    truncated=upload.truncated,
                    body=upload.text,
                )
                .returning(log_uploads.c.upload_id)
            ).scalar_one()
            self._db.event(
                connection, kiosk_id=upload.kiosk_id, kind="logs_uploaded", ref=str(upload_id)
            )
            self._prune(connection, upload.kiosk_id, now=now)
        logger.info(
            "kiosk logs received",
            extra={"kiosk_id": upload.kiosk_id, "upload_id": upload_id, "lines": upload.lines},
        )
        return LogUploadAck(upload_id=int(upload_id), stored_chars=len(upload.text))

    def _prune(self, connection: sa.Connection, kiosk_id: str, *, now: float) -> None:
        """Older than the retention (any kiosk), and beyond the newest `KEPT_PER_KIOSK`."""
        c = log_uploads.c
        connection.execute(
            sa.delete(log_uploads).where(c.received_at < now - RETENTION_DAYS * 86400)
        )
        cutoff = connection.execute(
            sa.select(c.upload_id)
            .where(c.kiosk_id == kiosk_id)
            .order_by(c.upload_id.desc())
            .offset(KEPT_PER_KIOSK)
            .limit(1)
        ).scalar_one_or_none()
        if cutoff is not None:
            connection.execute(
                sa.delete(log_uploads).where(c.kiosk_id == kiosk_id, c.upload_id <= cutoff)
            )

    def uploads(self, kiosk_id: str) -> tuple[LogUploadInfo, ...]:
        """The kiosk's kept uploads, newest first (within the retention)."""
        c = log_uploads.c
        since = self._db.clock() - RETENTION_DAYS * 86400
        with self._db.read("the kiosk's logs") as connection:
            rows = connection.execute(
                sa.select(*_INFO_COLUMNS)
                .where(c.kiosk_id == kiosk_id, c.received_at >= since)
                .order_by(c.upload_id.desc())
                .limit(KEPT_PER_KIOSK)
            ).all()
        return tuple(_info(row) for row in rows)

    def upload(self, kiosk_id: str, upload_id: int) -> LogUploadText | None:
        c = log_uploads.c
        since = self._db.clock() - RETENTION_DAYS * 86400
        with self._db.read("the kiosk's logs") as connection:
            row = connection.execute(
                sa.select(log_uploads).where(
                    c.kiosk_id == kiosk_id, c.upload_id == upload_id, c.received_at >= since
                )
            ).one_or_none()
        if row is None:
            return None
        return LogUploadText(upload=_info(row), text=str(row.body))


def _book(request: Request) -> LogBook:
    book: LogBook = request.app.state.log_book
    return book


router = APIRouter()


@router.post(LOGS_PATH)
def ingest(upload: LogUpload, request: Request) -> LogUploadAck:
    """A kiosk's redacted logs; a kiosk speaks only for itself."""
    if principal_of(request) != upload.kiosk_id:
        raise FleetApiError(
            status=403, code=ErrorCode.FORBIDDEN, message="a kiosk speaks only for itself"
        )
    try:
        return _book(request).ingest(upload)
    except PersonalDataInLogs as err:
        logger.warning("kiosk logs refused", extra={"kiosk_id": upload.kiosk_id, "why": "nn"})
        raise FleetApiError(
            status=422, code=ErrorCode.PERSONAL_DATA, message="logs must be redacted"
        ) from err


@router.get(LIST_PATH)
def list_uploads(kiosk_id: str, request: Request) -> LogUploadList:
    kiosk_id = kiosk_id[:128]
    return LogUploadList(kiosk_id=kiosk_id, uploads=_book(request).uploads(kiosk_id))


@router.get(ONE_PATH)
def one_upload(kiosk_id: str, upload_id: RowIdPath, request: Request) -> LogUploadText:
    found = _book(request).upload(kiosk_id[:128], upload_id)
    if found is None:
        raise FleetApiError(status=404, code=ErrorCode.NOT_FOUND, message="no such upload")
    return found


def install(app: FastAPI, fleet: FleetService) -> dict[tuple[str, str], GuardRule]:
    """Add the logs' routes and the console's download page; their guard rules are returned."""
    app.state.log_book = LogBook(fleet)
    app.include_router(router)
    install_logs_page(app)
    return {
        ("POST", LOGS_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=_BODY_MAX),
        ("GET", LIST_PATH): GuardRule(role=Role.OPERATOR, max_body_bytes=0),
        ("GET", ONE_PATH): GuardRule(role=Role.OPERATOR, max_body_bytes=0),
    }

"""The redacted logs a kiosk sends when an operator asks for them (`upload_logs` command).

Part of the wire format. The kiosk redacts its JSON lines before they leave it
(`kiosk.logs.redacted_lines`); the central refuses an upload that still holds something shaped
like a national number, and keeps each kiosk's uploads for a limited time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AwareDatetime, Field, field_validator

from offline_queue.wire_base import SCHEMA_VERSION, SchemaVersion, WireModel

MAX_LOG_TEXT_CHARS: Final = 1_000_000
"""At most this many characters of log lines in one upload (the newest are kept)."""
LOGS_PATH: Final = "/api/v1/logs"

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
_Id = Annotated[str, Field(min_length=1, max_length=128, pattern=_ID)]


class LogUpload(WireModel):
    """A kiosk's newest log lines (JSON lines, already redacted), oldest first."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    kiosk_id: _Id
    command_id: _Id | None = None
    """The `upload_logs` command this answers (None: sent from the maintenance mode)."""
    collected_at: AwareDatetime
    lines: Annotated[int, Field(ge=0, le=MAX_LOG_TEXT_CHARS)]
    truncated: bool = False
    """Older lines were left out to stay under `MAX_LOG_TEXT_CHARS`."""
    text: Annotated[str, Field(max_length=MAX_LOG_TEXT_CHARS)]

    @field_validator("collected_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class LogUploadAck(WireModel):
    upload_id: int
    stored_chars: int


class LogUploadInfo(WireModel):
    """One stored upload, without its text."""

    upload_id: int
    kiosk_id: str
    command_id: str | None
    collected_at: AwareDatetime
    received_at: AwareDatetime
    lines: int
    chars: int
    truncated: bool


class LogUploadList(WireModel):
    kiosk_id: str
    uploads: tuple[LogUploadInfo, ...]

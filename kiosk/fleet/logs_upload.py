"""The `upload_logs` command's work: the kiosk's newest log lines, redacted, as a `LogUpload`.

Collected and sent on the sync thread (`SyncService.upload_logs`), between residents.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kiosk.logs import redacted_lines

if TYPE_CHECKING:  # the wire models (pydantic) load when logs are first sent
    from offline_queue.wire import LogUpload, LogUploadAck


class LogSender(Protocol):
    def upload_logs(self, collect: Callable[[], LogUpload]) -> Future[LogUploadAck]: ...


def collect_upload(
    *,
    directory: Path,
    kiosk_id: str,
    command_id: str | None,
    max_chars: int | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
) -> LogUpload:
    """The newest lines of the log `directory` that fit `max_chars` (the wire's limit), redacted."""
    from offline_queue.wire import MAX_LOG_TEXT_CHARS, LogUpload  # noqa: PLC0415 - see the imports

    limit = MAX_LOG_TEXT_CHARS if max_chars is None else max_chars
    logs = redacted_lines(directory, max_chars=limit)
    return LogUpload(
        kiosk_id=kiosk_id,
        command_id=command_id,
        collected_at=clock(),
        lines=logs.lines,
        truncated=logs.truncated,
        text=logs.text,
    )

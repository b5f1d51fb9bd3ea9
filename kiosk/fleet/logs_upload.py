"""The `upload_logs` command's work: the kiosk's newest log lines, redacted, as a `LogUpload`.

Collected and sent on the sync thread (`SyncService.upload_logs`), between residents.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from kiosk.logs import redacted_lines
from offline_queue.wire import MAX_LOG_TEXT_CHARS, LogUpload, LogUploadAck


class LogSender(Protocol):
    def upload_logs(self, collect: Callable[[], LogUpload]) -> Future[LogUploadAck]: ...


def collect_upload(
    *,
    directory: Path,
    kiosk_id: str,
    command_id: str | None,
    max_chars: int = MAX_LOG_TEXT_CHARS,
    clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
) -> LogUpload:
    """The newest lines of the log `directory` that fit `max_chars`, redacted."""
    logs = redacted_lines(directory, max_chars=max_chars)
    return LogUpload(
        kiosk_id=kiosk_id,
        command_id=command_id,
        collected_at=clock(),
        lines=logs.lines,
        truncated=logs.truncated,
        text=logs.text,
    )

"""The maintenance mode's logs: the newest lines, redacted, to read on the kiosk's screen, and the
same redacted lines sent to the central for the fleet's operators (as its `upload_logs` command).

What staff read is what would leave the kiosk (`kiosk.logs.redact_entry`): no PIN, no full
national number, no name. The files are read on the storage runner's thread, never the UI's.
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hardware.runner import DeviceRunner
from kiosk.fleet.logs_upload import LogSender, collect_upload
from kiosk.logs import redacted_lines

if TYPE_CHECKING:  # the wire models (pydantic) load when first used
    from offline_queue.wire import LogUploadAck

SHOWN_LINES: Final = 30
"""Lines the screen shows, newest first."""
READ_CHARS: Final = 64 * 1024
"""How much of the newest redacted log is read to find them."""
FIELD_CHARS: Final = 160
"""A shown line's fields beyond its event are cut at this length."""
LEVELS: Final = ("INFO", "WARNING", "ERROR", "CRITICAL")
"""The levels shown (debug lines stay in the files)."""
_OWN_KEYS: Final = frozenset({"ts", "level", "logger", "event", "thread"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLine:
    at: datetime | None
    level: str
    event: str
    fields: str
    """The line's other fields as `key=value`, redacted, cut at `FIELD_CHARS`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentLogs:
    lines: tuple[LogLine, ...]
    """Newest first."""


def shown_lines(text: str, *, limit: int = SHOWN_LINES) -> tuple[LogLine, ...]:
    """The newest `limit` lines of redacted JSON lines `text` (oldest first), newest first."""
    out: list[LogLine] = []
    for raw in reversed(text.splitlines()):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("level") not in LEVELS:
            continue
        out.append(_line(entry))
        if len(out) == limit:
            break
    return tuple(out)


def _line(entry: dict[str, object]) -> LogLine:
    try:
        at = datetime.fromisoformat(str(entry.get("ts")))
    except ValueError:
        at = None
    rest = " ".join(
        f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
        for k, v in entry.items()
        if k not in _OWN_KEYS
    )
    if len(rest) > FIELD_CHARS:
        rest = rest[: FIELD_CHARS - 1] + "…"
    return LogLine(
        at=at, level=str(entry.get("level")), event=str(entry.get("event", "")), fields=rest
    )


class LogDesk:
    """The kiosk's log folder, as the maintenance mode reads it and sends it."""

    def __init__(
        self, *, directory: Path, kiosk_id: str, runner: DeviceRunner, sender: LogSender
    ) -> None:
        self._directory = directory
        self._kiosk_id = kiosk_id
        self._runner = runner
        self._sender = sender

    def recent(self) -> Future[RecentLogs]:
        def read() -> RecentLogs:
            logs = redacted_lines(self._directory, max_chars=READ_CHARS)
            return RecentLogs(lines=shown_lines(logs.text))

        return self._runner.submit(read)

    def send(self) -> Future[LogUploadAck]:
        """The newest redacted lines to the central, where operators download them."""
        return self._sender.upload_logs(
            lambda: collect_upload(
                directory=self._directory, kiosk_id=self._kiosk_id, command_id=None
            )
        )

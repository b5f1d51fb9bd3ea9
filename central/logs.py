"""Structured JSON logs of the central server (one JSON object per line on stderr)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Final

from hardware.national_number import mask_national_numbers

_STANDARD_ATTRS: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


class JsonFormatter(logging.Formatter):
    """Formats a record and its `extra={...}` fields as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_national_numbers(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # extras and tracebacks too: a national number never leaves in clear
        return mask_national_numbers(json.dumps(entry, default=str, ensure_ascii=False))


ROUTINE_PATHS: Final = frozenset({"/api/v1/heartbeat"})
"""Calls every kiosk makes every 30 s: their successful answers are not access-logged (10,000 kiosks
would write 29 million lines a day); the fleet timeline keeps them, and their errors are logged."""


class RoutineAccessFilter(logging.Filter):
    """Drops uvicorn's access line of a successful routine call (`ROUTINE_PATHS`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args  # uvicorn's: client, method, path, HTTP version, status
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        path, status = args[2], args[4]
        return not (
            isinstance(path, str)
            and path.partition("?")[0] in ROUTINE_PATHS
            and isinstance(status, int)
            and status < 400
        )


def configure_json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a JSON line too, not stray text
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RoutineAccessFilter) for f in access.filters):
        access.addFilter(RoutineAccessFilter())

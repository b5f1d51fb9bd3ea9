"""Structured logging: one JSON object per line, to a rotating file and (in the demo) the console.

Personal data stays out by construction:

- every record passes through `RedactingFilter`, which masks anything shaped like a Belgian national
  number (``***********``, birth date included) in the message and in every extra field;
- `log_event` refuses fields that could carry a PIN (by name) and PIN buffers (by type), so a PIN cannot
  reach a log line even by mistake. Not even its length is logged.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hardware.national_number import mask_national_numbers

_FORBIDDEN_FIELDS = frozenset(
    {"pin", "pin_block", "pinblock", "pin_length", "pan", "password", "secret"}
)
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return mask_national_numbers(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "<bytes redacted>"
    if isinstance(value, Mapping):
        return {str(k): _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_national_numbers(str(value))


class RedactingFilter(logging.Filter):
    """Masks national numbers in the message, its arguments and every extra field."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_national_numbers(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_redact(a) for a in args)
        for key in list(vars(record)):
            if key in _STANDARD_ATTRS:
                continue
            if key.lower() in _FORBIDDEN_FIELDS:
                setattr(record, key, "<refused>")
            else:
                setattr(record, key, _redact(getattr(record, key)))
        return True


RECORD_KEYS: frozenset[str] = frozenset({"ts", "level", "logger", "event", "thread"})
"""The keys every JSON line owns; an extra field with one of these names is written `field_<name>`."""
FIELD_PREFIX = "field_"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            "thread": record.threadName,
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            name = key
            while name in RECORD_KEYS or (name != key and name in vars(record)):
                name = FIELD_PREFIX + name
            entry[name] = value
        if record.exc_info:
            trace_key = "traceback" if "error" in entry else "error"
            entry[trace_key] = mask_national_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class PersonalDataInLog(ValueError):
    """A caller tried to log a field that could carry a PIN or a payment card number."""


def log_event(
    logger: logging.Logger, event: str, /, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Log one structured event; PIN-like fields and PIN buffers are refused outright."""
    for name, value in fields.items():
        lowered = name.lower()
        if lowered != "pin_tries_left" and (
            lowered in _FORBIDDEN_FIELDS or "pin" in lowered.split("_")
        ):
            raise PersonalDataInLog(f"field '{name}' may not be logged")
        if isinstance(value, bytearray):
            raise PersonalDataInLog(f"field '{name}' is a mutable buffer and may hold a PIN")
    logger.log(level, event, extra=fields)


def configure_logging(
    *, directory: Path | None, level: str = "INFO", console: bool = True
) -> list[logging.Handler]:
    """Install JSON handlers on the root logger; returns them so callers can remove them."""
    root = logging.getLogger()
    root.setLevel(level)
    handlers: list[logging.Handler] = []
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                directory / "kiosk.jsonl", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        )
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    return handlers

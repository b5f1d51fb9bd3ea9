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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from hardware.national_number import mask_national_numbers

LOG_FILE: Final = "kiosk.jsonl"
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
                directory / LOG_FILE, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        )
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    return handlers


PERSONAL_FIELDS: Final = frozenset(
    {
        "name", "names", "surname", "first_name", "first_names", "given_name", "given_names",
        "last_name", "full_name", "holder", "holder_name", "resident", "address", "street",
        "birth_date", "date_of_birth", "birth_place", "nationality", "email", "phone",
        "card_number", "national_number", "members",
    }
)  # fmt: skip
"""Fields whose value leaves the kiosk as `<redacted>` (besides the PIN-like `_FORBIDDEN_FIELDS`)."""
REDACTED: Final = "<redacted>"


@dataclass(frozen=True, slots=True, kw_only=True)
class RedactedLogs:
    text: str
    """JSON lines, oldest first, each ending with a newline."""
    lines: int
    truncated: bool
    """Older lines were left out to stay under the size asked for."""
    dropped: int
    """Lines that were not JSON objects (they cannot be redacted field by field): left out."""


def redact_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One log line's fields as they may leave the kiosk: personal and PIN-like fields redacted
    whatever their value, national numbers masked everywhere else (nested values included)."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        lowered = str(key).lower()
        words = lowered.split("_")
        if lowered in PERSONAL_FIELDS or lowered in _FORBIDDEN_FIELDS or "pin" in words:
            out[mask_national_numbers(str(key))] = REDACTED
        elif isinstance(value, Mapping):
            out[mask_national_numbers(str(key))] = redact_entry(value)
        else:
            out[mask_national_numbers(str(key))] = _redact(value)
    if "pin_tries_left" in entry:  # a count, not the PIN: kept for the staff
        out["pin_tries_left"] = _redact(entry["pin_tries_left"])
    return out


def _log_files(directory: Path) -> list[Path]:
    """The log file and its rotations, newest first (`kiosk.jsonl`, `kiosk.jsonl.1`, ...)."""
    rotated = sorted(
        (p for p in directory.glob(f"{LOG_FILE}.*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
    )
    current = directory / LOG_FILE
    return ([current] if current.exists() else []) + rotated


def _newest_lines(directory: Path) -> Iterator[str]:
    for path in _log_files(directory):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        yield from reversed(lines)


def redacted_lines(directory: Path, *, max_chars: int) -> RedactedLogs:
    """The newest log lines of `directory`, redacted (`redact_entry`), at most `max_chars`."""
    kept: list[str] = []
    size = dropped = 0
    truncated = False
    for raw in _newest_lines(directory):
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            dropped += bool(raw.strip())
            continue
        line = json.dumps(redact_entry(entry), ensure_ascii=False, default=str) + "\n"
        if size + len(line) > max_chars:
            truncated = True
            break
        kept.append(line)
        size += len(line)
    return RedactedLogs(
        text="".join(reversed(kept)), lines=len(kept), truncated=truncated, dropped=dropped
    )

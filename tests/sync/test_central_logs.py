"""The central server's JSON log lines never carry a national number in clear."""

from __future__ import annotations

import json
import logging
import sys

from central.logs import JsonFormatter


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"msg": msg, "levelno": logging.INFO, "levelname": "INFO"})
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_message_extras_and_traceback_are_masked() -> None:
    record = _record("lookup of 85.03.14-124.01", national_number="85031412401")
    try:
        raise ValueError("no resident 15093021271")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["msg"] == "lookup of ***********"
    assert entry["national_number"] == "***********"
    assert "***********" in entry["exc"]
    for clear in ("85031412401", "124.01", "15093021271"):
        assert clear not in line

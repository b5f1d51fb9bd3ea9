"""The maintenance mode's logs: the newest lines of the kiosk's own JSON log files, redacted as they
would leave the kiosk, read on the disk's runner thread, newest first, debug lines left out; and the
same redacted lines sent to the central without a command."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.runner import DeviceRunner
from kiosk.logs import LOG_FILE, JsonFormatter
from kiosk.maintenance.logs import FIELD_CHARS, SHOWN_LINES, LogDesk, shown_lines
from offline_queue.wire import LogUpload, LogUploadAck

NATIONAL_NUMBER = "85031412401"


class Sender:
    """The sync service's `upload_logs`: runs `collect` on its own thread, keeps the upload."""

    def __init__(self) -> None:
        self.uploads: list[LogUpload] = []

    def upload_logs(self, collect: Callable[[], LogUpload]) -> Future[LogUploadAck]:
        upload = collect()
        self.uploads.append(upload)
        done: Future[LogUploadAck] = Future()
        done.set_result(LogUploadAck(upload_id=len(self.uploads), stored_chars=len(upload.text)))
        return done


@pytest.fixture
def runner() -> Iterator[DeviceRunner]:
    r = DeviceRunner("storage")
    r.start()
    yield r
    r.stop()


def write_log(directory: Path, *records: tuple[int, str, dict[str, object]]) -> None:
    """Lines as the kiosk's own handler writes them (`kiosk.logs.JsonFormatter`)."""
    directory.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(directory / LOG_FILE, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kiosk.test_maintenance_logs")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        for level, message, extra in records:
            logger.log(level, message, extra=extra)
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_the_newest_lines_redacted_newest_first_on_the_runner(
    tmp_path: Path, runner: DeviceRunner
) -> None:
    logs = tmp_path / "log"
    write_log(
        logs,
        (logging.INFO, "journey_report", {"outcome": "completed"}),
        (logging.DEBUG, "apdu", {"ins": "b0"}),
        (logging.WARNING, f"register lookup for {NATIONAL_NUMBER}", {"surname": "Dupont"}),
        (logging.ERROR, "zvt bad frame", {"reason": "crc", "pin_length": 4}),
    )
    with (logs / LOG_FILE).open("a", encoding="utf-8") as f:
        f.write("not json\n")
    desk = LogDesk(directory=logs, kiosk_id="hall-1", runner=runner, sender=Sender())
    lines = desk.recent().result(timeout=5).lines
    assert [line.level for line in lines] == ["ERROR", "WARNING", "INFO"]  # no debug line
    error, warning, info = lines
    assert error.event == "zvt bad frame"
    assert 'reason="crc"' in error.fields
    assert '"<redacted>"' in error.fields  # the PIN-like field, whatever its value
    assert "4" not in error.fields.replace("pin_length", "")
    assert NATIONAL_NUMBER not in warning.event
    assert "Dupont" not in warning.fields
    assert info.fields.startswith('outcome="completed"')
    assert info.at is not None
    assert info.at.tzinfo is not None
    everything = repr(lines)
    assert NATIONAL_NUMBER not in everything
    assert "Dupont" not in everything


def test_sending_them_uploads_the_same_redacted_lines_without_a_command(
    tmp_path: Path, runner: DeviceRunner
) -> None:
    logs = tmp_path / "log"
    write_log(logs, (logging.WARNING, f"lookup {NATIONAL_NUMBER}", {"street": "Rue Haute 1"}))
    sender = Sender()
    desk = LogDesk(directory=logs, kiosk_id="hall-1", runner=runner, sender=sender)
    ack = desk.send().result(timeout=5)
    (upload,) = sender.uploads
    assert (upload.kiosk_id, upload.command_id, upload.lines) == ("hall-1", None, 1)
    assert ack.stored_chars == len(upload.text)
    assert NATIONAL_NUMBER not in upload.text
    assert "Rue Haute" not in upload.text


def test_no_log_yet_shows_no_line(tmp_path: Path, runner: DeviceRunner) -> None:
    desk = LogDesk(directory=tmp_path / "none", kiosk_id="k", runner=runner, sender=Sender())
    assert desk.recent().result(timeout=5).lines == ()


_entry = st.fixed_dictionaries(
    {
        "ts": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        "level": st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR"]),
        "event": st.text(max_size=40),
        "extra": st.text(max_size=400),
    }
)


@given(st.lists(_entry, max_size=60))
def test_shown_lines_are_the_newest_non_debug_ones_each_cut_short(
    entries: list[dict[str, str]],
) -> None:
    text = "".join(json.dumps(e) + "\n" for e in entries)
    shown = shown_lines(text)
    expected = [e for e in reversed(entries) if e["level"] != "DEBUG"][:SHOWN_LINES]
    assert [line.event for line in shown] == [e["event"] for e in expected]
    assert [line.at for line in shown] == [datetime.fromisoformat(e["ts"]) for e in expected]
    assert all(len(line.fields) <= FIELD_CHARS for line in shown)

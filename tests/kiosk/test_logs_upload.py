"""The logs a kiosk sends the central are redacted: no persona's national number (in any
notation), name, birth data, address, card number nor PIN leaves the kiosk, even from a line
written to the log file without the redacting filter; the newest lines are kept within the size."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hardware.simulators.eid.persona import list_personas, load_persona, persona_pin
from kiosk.fleet.logs_upload import collect_upload
from kiosk.logs import LOG_FILE, REDACTED, configure_logging, redact_entry, redacted_lines
from offline_queue.wire import LogUpload, contains_national_number

PERSONAS = [info.name for info in list_personas()]


def _dotted(number: str) -> str:
    return f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"


def _write_persona_lines(directory: Path, name: str) -> None:
    """What a careless component could log about a resident, through the kiosk's real handlers,
    and one raw line a third-party tool appended to the file without any filter."""
    persona = load_persona(name)
    handlers = configure_logging(directory=directory, console=False)
    logger = logging.getLogger(f"tests.upload.{name}")
    try:
        logger.info(
            "card read for %s",
            persona.national_number,
            extra={
                "surname": persona.surname,
                "first_names": persona.first_names,
                "birth_date": str(persona.birth_date),
                "birth_place": persona.birth_place,
                "card_number": persona.card_number,
                "holder": {"name": f"{persona.first_names} {persona.surname}"},
                "pin_tries_left": 3,
            },
        )
        logger.info("extract asked", extra={"query": f"nn={_dotted(persona.national_number)}"})
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    raw = {
        "ts": "2026-01-01T00:00:00+00:00",
        "event": f"resident {persona.national_number}",
        "national_number": persona.national_number,
        "address": {"street": persona.address.street},
        "pin": persona_pin(name),
        "entered_pin_digits": persona_pin(name),
        "resident": {"surname": persona.surname, "first_names": persona.first_names},
    }
    with (directory / LOG_FILE).open("a", encoding="utf-8") as file:
        file.write(json.dumps(raw, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("name", PERSONAS)
def test_no_personal_data_of_any_persona_is_in_the_upload(name: str, tmp_path: Path) -> None:
    _write_persona_lines(tmp_path, name)
    persona = load_persona(name)
    upload = collect_upload(directory=tmp_path, kiosk_id="hall-1", command_id="c1")
    text = upload.text
    assert upload.lines == 3
    assert not contains_national_number(text)
    for secret in (
        persona.national_number,
        _dotted(persona.national_number),
        persona.surname,
        persona.first_names,
        persona.birth_place,
        persona.card_number,
        persona.address.street,
        str(persona.birth_date),
    ):
        if secret:
            assert secret not in text, f"{name}: personal data left in the upload"
    entries = [json.loads(line) for line in text.splitlines()]
    raw = entries[-1]
    assert raw["pin"] == REDACTED
    assert raw["entered_pin_digits"] == REDACTED
    assert raw["resident"] == REDACTED
    assert entries[0]["pin_tries_left"] == 3  # a count the staff need, not the PIN
    assert entries[0]["event"].startswith("card read for ")


def test_the_newest_lines_are_kept_within_the_size_across_rotated_files(tmp_path: Path) -> None:
    older = [json.dumps({"event": f"old-{i}"}) for i in range(50)]
    newer = [json.dumps({"event": f"new-{i}"}) for i in range(50)]
    (tmp_path / f"{LOG_FILE}.1").write_text("\n".join(older) + "\n", encoding="utf-8")
    (tmp_path / LOG_FILE).write_text("not json\n" + "\n".join(newer) + "\n", encoding="utf-8")
    everything = redacted_lines(tmp_path, max_chars=1_000_000)
    events = [json.loads(line)["event"] for line in everything.text.splitlines()]
    assert events == [f"old-{i}" for i in range(50)] + [f"new-{i}" for i in range(50)]
    assert everything.dropped == 1
    assert not everything.truncated

    line = len(json.dumps({"event": "new-10"}, ensure_ascii=False)) + 1
    some = redacted_lines(tmp_path, max_chars=line * 30)
    assert some.truncated
    kept = [json.loads(x)["event"] for x in some.text.splitlines()]
    assert kept[-1] == "new-49"  # the newest line is in, oldest first
    assert len(some.text) <= line * 30
    assert "old-49" not in kept


def test_an_empty_log_directory_gives_an_empty_upload(tmp_path: Path) -> None:
    upload = collect_upload(
        directory=tmp_path,
        kiosk_id="hall-1",
        command_id=None,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert upload == LogUpload(
        kiosk_id="hall-1", collected_at=datetime(2026, 1, 1, tzinfo=UTC), lines=0, text=""
    )


def test_nested_maps_and_lists_are_redacted_too() -> None:
    entry = redact_entry(
        {"members": [{"surname": "X"}], "detail": {"given_names": "Y", "n": ["85031412401"]}}
    )
    assert entry == {"members": REDACTED, "detail": {"given_names": REDACTED, "n": ["***********"]}}

"""Structured logs keep national numbers masked and refuse PINs by construction."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from stdnum.be import nn as be_nn

from hardware.national_number import mask_national_number, mask_national_numbers
from kiosk.logs import (
    JsonFormatter,
    PersonalDataInLog,
    RedactingFilter,
    log_event,
)


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.logs")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


@pytest.mark.parametrize(
    "text", ["85031412401", "85.03.14-124.01", "nn=85031412401;", "85.03.14.124.01"]
)
def test_national_numbers_are_masked_in_any_notation(text: str) -> None:
    masked = mask_national_numbers(text)
    assert not any(ch.isdigit() for ch in masked), "nothing of the number is kept"
    assert "***********" in masked


def test_the_mask_keeps_no_birth_date() -> None:
    assert mask_national_number("85.03.14-124.01") == "***********"
    assert mask_national_number("85031412401") == mask_national_number("00010112345")


def test_twelve_digit_runs_are_not_taken_for_national_numbers() -> None:
    assert mask_national_numbers("card 592123456789") == "card 592123456789"


def test_a_document_id_keeps_its_digit_runs_unless_they_are_a_valid_national_number() -> None:
    # uuid4().hex ids hold a run of exactly 11 digits in about one id in fifty; one with valid
    # check digits (python-stdnum agrees) in about one in two thousand
    assert not be_nn.is_valid("12345678901")
    assert mask_national_numbers("document 0c12345678901f3a") == "document 0c12345678901f3a"
    assert be_nn.is_valid("85031412401")
    assert mask_national_numbers("document 0c85031412401f3a") == "document 0c***********f3a"
    # on its own, a number is masked whatever its check digits
    assert mask_national_numbers("nn 12345678901") == "nn ***********"


def test_json_line_masks_message_arguments_and_extras(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info(
        "read card of %s", "85031412401", extra={"holder": {"nn": "85031412401"}, "step": 3}
    )
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "read card of ***********"
    assert entry["holder"] == {"nn": "***********"}
    assert entry["step"] == 3
    assert "85031412401" not in stream.getvalue()


def test_pin_fields_are_refused_by_name_and_by_buffer_type(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    for field in ("pin", "pin_block", "PIN", "new_pin", "pin_length"):
        fields: dict[str, Any] = {field: "1234"}
        with pytest.raises(PersonalDataInLog):
            log_event(logger, "pin_entered", **fields)
    with pytest.raises(PersonalDataInLog):
        log_event(logger, "pin_entered", entry=bytearray(b"1234"))
    log_event(logger, "pin_checked", pin_tries_left=2, outcome="wrong")
    assert json.loads(stream.getvalue())["pin_tries_left"] == 2


def test_filter_replaces_pin_extras_logged_directly(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.warning("bypass", extra={"pin": "1234"})
    entry = json.loads(stream.getvalue())
    assert entry["pin"] == "<refused>"
    assert "1234" not in stream.getvalue()


def test_extra_fields_cannot_overwrite_the_records_own_keys(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.warning(
        "document sealed",
        extra={"level": "B-B", "ts": "yesterday", "event": "other", "field_level": "kept"},
    )
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING"
    assert entry["event"] == "document sealed"
    assert entry["ts"] != "yesterday"
    assert entry["field_level"] == "kept"
    assert entry["field_field_level"] == "B-B"
    assert entry["field_ts"] == "yesterday"
    assert entry["field_event"] == "other"

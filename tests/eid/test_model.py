from __future__ import annotations

from datetime import date

import pytest

from hardware.eid.errors import CardDataError
from hardware.eid.model import (
    CardData,
    normalise_sex,
    parse_birth_date,
    parse_card_date,
)
from hardware.national_number import mask_national_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 MARS 1985", date(1985, 3, 14)),
        ("02 NOV 1972", date(1972, 11, 2)),
        ("15 MEI 1982", date(1982, 5, 15)),
        ("21.JUN.1990", date(1990, 6, 21)),
        ("01.MÄR.1970", date(1970, 3, 1)),
        ("05 AOUT 1960", date(1960, 8, 5)),
        ("24.DEZ.2001", date(2001, 12, 24)),
    ],
)
def test_birth_dates_in_every_card_language(text: str, expected: date) -> None:
    assert parse_birth_date(text) == expected


def test_unknown_day_and_month_give_none() -> None:
    assert parse_birth_date("       1950") is None
    assert parse_birth_date("   MARS 1950") is None


@pytest.mark.parametrize("text", ["14 FOO 1985", "14.MRZ.1985", "14 MARCH 1985", "14 JANV 1985"])
def test_unknown_month_names_are_unreadable(text: str) -> None:
    with pytest.raises(CardDataError):
        parse_birth_date(text)


def test_bad_dates_are_typed_errors() -> None:
    with pytest.raises(CardDataError):
        parse_birth_date("yesterday")
    with pytest.raises(CardDataError):
        parse_card_date("31.02.2020")


def test_sex_letters_of_every_language() -> None:
    assert [normalise_sex(letter) for letter in "MFVW"] == ["M", "F", "F", "F"]
    with pytest.raises(CardDataError):
        normalise_sex("X")


def test_card_data_offsets() -> None:
    raw = bytes(range(16)) + bytes([0xD0, 1, 2, 3, 1, 0x18, 0, 1, 0, 0, 2, 0x0F]) + b"\x02\xff\xff"
    data = CardData.from_bytes(raw)
    assert data.applet_version == 0x18
    assert data.is_applet_1_8
    assert data.life_cycle == 0x0F
    assert data.pin_tries_left == 2
    assert CardData.from_bytes(raw[:28]).pin_tries_left is None


def test_mask_keeps_six_digits() -> None:
    assert mask_national_number("85031412401") == "***********"

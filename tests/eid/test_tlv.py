from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.eid import tlv
from hardware.eid.errors import CardDataError

fields_strategy = st.dictionaries(
    keys=st.integers(min_value=1, max_value=0xFF), values=st.binary(max_size=700), max_size=12
).map(lambda d: sorted(d.items()))


@given(fields=fields_strategy, padding=st.integers(min_value=0, max_value=300))
def test_round_trip_with_padding(fields: list[tuple[int, bytes]], padding: int) -> None:
    encoded = tlv.encode_tlv(fields) + b"\x00" * padding
    assert tlv.parse_tlv(encoded) == dict(fields)


@given(length=st.integers(min_value=0, max_value=5000))
def test_length_is_a_sum_of_ff_bytes(length: int) -> None:
    encoded = tlv.encode_length(length)
    assert sum(encoded) == length
    assert all(byte == 0xFF for byte in encoded[:-1])
    assert encoded[-1] != 0xFF


@given(data=st.binary(max_size=600))
def test_garbage_never_raises_anything_but_card_data_error(data: bytes) -> None:
    with contextlib.suppress(CardDataError):
        tlv.parse_tlv(data)


def test_known_lengths() -> None:
    assert tlv.encode_length(254) == b"\xfe"
    assert tlv.encode_length(255) == b"\xff\x00"
    assert tlv.encode_length(258) == b"\xff\x03"
    assert tlv.encode_length(510) == b"\xff\xff\x00"


def test_version_tag_first_zero_length_and_presence_flags() -> None:
    data = bytes.fromhex("0002 0001 010A") + b"B012345674" + bytes.fromhex("1400 1A00 1B00 0000 00")
    fields = tlv.parse_tlv(data)
    assert fields[0x00] == b"\x00\x01"
    assert fields[0x01] == b"B012345674"
    assert fields[0x14] == b""
    assert fields[0x1B] == b""


def test_truncated_value_is_a_typed_error() -> None:
    with pytest.raises(CardDataError):
        tlv.parse_tlv(bytes.fromhex("0105414243"))
    with pytest.raises(CardDataError):
        tlv.parse_tlv(bytes.fromhex("01FFFF"))


def test_bytes_after_padding_are_rejected() -> None:
    with pytest.raises(CardDataError):
        tlv.parse_tlv(bytes.fromhex("01014100000041"))


def test_invalid_utf8_is_a_typed_error() -> None:
    with pytest.raises(CardDataError):
        tlv.text({7: b"\xff\xfe"}, 7)


def test_repeated_tag_is_refused() -> None:
    with pytest.raises(CardDataError):
        tlv.parse_tlv(bytes.fromhex("0103414243 0201 31 0103 58595A"))
    with pytest.raises(CardDataError):
        tlv.parse_tlv(bytes.fromhex("1400 1400 0000"))


@given(fields=fields_strategy, data=st.data())
def test_any_repeated_tag_is_refused(fields: list[tuple[int, bytes]], data: st.DataObject) -> None:
    if not fields:
        return
    tag, value = data.draw(st.sampled_from(fields))
    with pytest.raises(CardDataError):
        tlv.parse_tlv(tlv.encode_tlv([*fields, (tag, value)]))

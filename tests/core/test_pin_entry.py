"""The PIN buffer: digits only, bounded, handed over once and wiped in place."""

from __future__ import annotations

from kiosk.flows.pin import PinEntry


def test_only_single_digits_are_typed_and_the_length_is_bounded() -> None:
    pin = PinEntry()
    assert pin.add("a", max_length=4) is False
    assert pin.add("12", max_length=4) is False
    for digit in "12345":
        assert pin.add(digit, max_length=4) is True
    assert len(pin) == 4
    assert pin.take(min_length=4) == bytearray(b"1234")


def test_take_waits_for_the_minimum_then_hands_a_copy_and_wipes() -> None:
    pin = PinEntry()
    for digit in "987":
        pin.add(digit, max_length=12)
    assert pin.take(min_length=4) is None
    assert len(pin) == 3  # nothing is lost while too short
    pin.add("6", max_length=12)
    taken = pin.take(min_length=4)
    assert taken == bytearray(b"9876")
    assert len(pin) == 0
    assert pin.take(min_length=1) is None


def test_erase_and_wipe_empty_the_buffer_in_place() -> None:
    pin = PinEntry()
    for digit in "2468":
        pin.add(digit, max_length=12)
    buffer = pin._digits
    pin.erase()
    assert bytes(buffer) == b"246"
    pin.wipe()
    assert bytes(buffer) == b""
    assert len(pin) == 0
    pin.erase()  # nothing left: no error
    assert len(pin) == 0

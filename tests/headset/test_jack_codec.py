"""The headset jack's pure parts: the `struct input_event` codec, the switch tracker, and the
`/proc/bus/input/devices` parser against samples laid out as real laptops and kiosks list them."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.speech.jack import (
    EV_SW,
    EV_SYN,
    EVENT_SIZE,
    EVIOCGSW,
    SW_HEADPHONE_INSERT,
    SW_JACK_PHYSICAL_INSERT,
    SW_LINEOUT_INSERT,
    SW_MICROPHONE_INSERT,
    SYN_DROPPED,
    SYN_REPORT,
    EventDecoder,
    HeadsetTracker,
    InputEvent,
    decode_events,
    encode_event,
    find_headset_devices,
    headphone_state,
    headset_devices,
    parse_bitmap,
    parse_devices,
)

FIXTURES = Path(__file__).parent / "fixtures"

LONG = 2 ** (8 * struct.calcsize("l") - 1)
events = st.builds(
    InputEvent,
    type=st.integers(0, 0xFFFF),
    code=st.integers(0, 0xFFFF),
    value=st.integers(-(2**31), 2**31 - 1),
    seconds=st.integers(-LONG, LONG - 1),
    microseconds=st.integers(-LONG, LONG - 1),
)


def sw(value: int) -> InputEvent:
    return InputEvent(type=EV_SW, code=SW_HEADPHONE_INSERT, value=value)


SYN = InputEvent(type=EV_SYN, code=SYN_REPORT, value=0)


def test_an_event_is_24_bytes_laid_out_as_the_kernel_does() -> None:
    assert EVENT_SIZE == 24
    event = InputEvent(type=EV_SW, code=SW_HEADPHONE_INSERT, value=1, seconds=7, microseconds=9)
    raw = encode_event(event)
    assert raw == (
        (7).to_bytes(8, "little")
        + (9).to_bytes(8, "little")
        + bytes([5, 0, 2, 0, 1, 0, 0, 0])  # u16 EV_SW, u16 SW_HEADPHONE_INSERT, s32 1
    )
    assert decode_events(raw) == ((event,), b"")


@given(st.lists(events, max_size=20))
def test_encoding_then_decoding_gives_the_events_back(batch: list[InputEvent]) -> None:
    assert decode_events(b"".join(encode_event(e) for e in batch)) == (tuple(batch), b"")


@given(st.lists(events, max_size=12), st.data())
def test_any_chunking_of_the_stream_gives_the_same_events(
    batch: list[InputEvent], data: st.DataObject
) -> None:
    stream = b"".join(encode_event(e) for e in batch)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = EventDecoder()
    got: list[InputEvent] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got.extend(decoder.feed(stream[start:end]))
    assert got == batch


@given(st.lists(events, max_size=5), st.integers(1, EVENT_SIZE - 1))
def test_a_partial_trailing_event_is_kept(batch: list[InputEvent], extra: int) -> None:
    tail = encode_event(sw(1))
    decoded, rest = decode_events(b"".join(encode_event(e) for e in batch) + tail[:extra])
    assert decoded == tuple(batch)
    assert rest == tail[:extra]


def test_a_change_counts_once_its_report_is_complete() -> None:
    tracker = HeadsetTracker()
    assert tracker.feed([sw(1)]) == []  # not yet: the report is not over
    assert tracker.feed([SYN]) == [True]
    assert tracker.feed([sw(1), SYN]) == []  # the same state again is not a change
    assert tracker.feed([sw(0), SYN, sw(1), SYN]) == [False, True]
    other = InputEvent(type=EV_SW, code=SW_MICROPHONE_INSERT, value=0)
    assert tracker.feed([other, SYN]) == []  # the microphone switch alone is not the headset


def test_after_a_drop_the_state_is_read_again() -> None:
    tracker = HeadsetTracker(plugged=False)
    dropped = InputEvent(type=EV_SYN, code=SYN_DROPPED, value=0)
    assert tracker.feed([sw(1), dropped, sw(1), SYN]) == []  # dropped up to the next report
    flags = [tracker.needs_resync]
    assert tracker.resync(True) is True
    flags.append(tracker.needs_resync)
    assert flags == [True, False]
    assert tracker.resync(None) is None  # unknown: the state is kept
    assert tracker.plugged


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=30))
def test_the_changes_are_the_reported_values_without_repeats(
    reports: list[tuple[bool, bool]],
) -> None:
    """Each report: the switch's value, and whether a microphone event rides along."""
    tracker = HeadsetTracker()
    stream: list[InputEvent] = []
    for plugged, with_mic in reports:
        stream.append(sw(int(plugged)))
        if with_mic:
            stream.append(InputEvent(type=EV_SW, code=SW_MICROPHONE_INSERT, value=int(plugged)))
        stream.append(SYN)
    expected: list[bool] = []
    state = False
    for plugged, _ in reports:
        if plugged != state:
            expected.append(plugged)
            state = plugged
    assert tracker.feed(stream) == expected


def test_the_switch_codes_are_the_kernels() -> None:
    assert (SW_HEADPHONE_INSERT, SW_MICROPHONE_INSERT) == (0x02, 0x04)
    assert (SW_LINEOUT_INSERT, SW_JACK_PHYSICAL_INSERT) == (0x06, 0x07)
    assert (EV_SYN, EV_SW) == (0, 5)
    # _IOC(_IOC_READ, 'E', 0x1b, 8): (2 << 30) | (8 << 16) | (0x45 << 8) | 0x1b
    assert EVIOCGSW == 0x8008451B


def test_bitmaps_read_their_lowest_word_last() -> None:
    assert parse_bitmap("4") == {2}
    assert parse_bitmap("14") == {2, 4}
    assert parse_bitmap("2") == {1}  # SW_TABLET_MODE: the value 2 is not the code 2
    assert parse_bitmap("140") == {6, 8}
    assert parse_bitmap("10000000000000 0") == {116}  # KEY_POWER
    assert parse_bitmap("40 0 0 0 0 0 0 1000000000 c000000000000 0") == {114, 115, 164, 582}
    assert parse_bitmap("1 0", word_bits=32) == {32}


def test_the_hda_headphone_jack_is_found_not_the_mic_hdmi_lid_nor_keyboard() -> None:
    text = (FIXTURES / "hda-intel-laptop.txt").read_text(encoding="utf-8")
    devices = {d.name: d for d in parse_devices(text)}
    assert len(devices) == 7
    headphone = devices["HDA Intel PCH Headphone"]
    assert headphone.event_node == "event10"
    assert headphone.switches == {SW_HEADPHONE_INSERT}
    keyboard = devices["AT Translated Set 2 keyboard"]
    assert keyboard.handlers == ("sysrq", "kbd", "leds", "event3")
    assert keyboard.switches == frozenset()
    assert devices["HDA Intel PCH Mic"].switches == {SW_MICROPHONE_INSERT}
    assert devices["HDA Intel PCH HDMI/DP,pcm=3"].switches == {SW_LINEOUT_INSERT, 8}
    assert headset_devices(text) == (Path("/dev/input/event10"),)


def test_a_headset_jack_with_buttons_and_a_microphone_is_found() -> None:
    text = (FIXTURES / "sof-headset-laptop.txt").read_text(encoding="utf-8")
    jack = next(d for d in parse_devices(text) if d.name == "sof-hda-dsp Headset Jack")
    assert jack.switches == {SW_HEADPHONE_INSERT, SW_MICROPHONE_INSERT}
    assert jack.event_node == "event15"
    assert headset_devices(text, dev_input=Path("/d")) == (Path("/d/event15"),)


def test_a_machine_without_a_jack_lists_no_headset(tmp_path: Path) -> None:
    text = (FIXTURES / "kiosk-without-jack.txt").read_text(encoding="utf-8")
    assert len(parse_devices(text)) == 2
    assert headset_devices(text) == ()
    assert find_headset_devices(proc=tmp_path / "missing") == ()
    listed = tmp_path / "devices"
    listed.write_text((FIXTURES / "hda-intel-laptop.txt").read_text(encoding="utf-8"))
    assert find_headset_devices(proc=listed, dev_input=tmp_path) == (tmp_path / "event10",)


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_the_state_of_what_is_not_an_event_device_is_unknown(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "node"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert headphone_state(fd) is None
    finally:
        os.close(fd)

"""The frames a headset jack's event device sends, for the tests that stand in for it."""

from __future__ import annotations

import os
from pathlib import Path

from hardware.speech.jack import (
    EV_SW,
    EV_SYN,
    SW_HEADPHONE_INSERT,
    SW_MICROPHONE_INSERT,
    SYN_REPORT,
    InputEvent,
    encode_event,
)


def jack_frames(plugged: bool, *, microphone: bool = False) -> bytes:
    """The switch(es), then the report's end: 24-byte `struct input_event` each."""
    value = int(plugged)
    events = [InputEvent(type=EV_SW, code=SW_HEADPHONE_INSERT, value=value, seconds=1)]
    if microphone:
        events.append(InputEvent(type=EV_SW, code=SW_MICROPHONE_INSERT, value=value))
    events.append(InputEvent(type=EV_SYN, code=SYN_REPORT, value=0))
    return b"".join(encode_event(e) for e in events)


def jack_fifo(path: Path) -> Path:
    """A FIFO standing for the jack's event device: the watcher reads what the test writes."""
    os.mkfifo(path)
    return path

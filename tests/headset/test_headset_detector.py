"""`HeadsetDetector`, the `HeadsetPort` the kiosk wires: which devices it watches, and a machine
without a headphone jack (this one: no sound card)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from kiosk.adapters.headset import HeadsetDetector
from tests.headset.frames import jack_frames

FIXTURES = Path(__file__).parent / "fixtures"


def test_auto_watches_the_headphone_jacks_the_machine_lists(tmp_path: Path) -> None:
    detector = HeadsetDetector(
        source="auto", proc=FIXTURES / "sof-headset-laptop.txt", dev_input=tmp_path
    )
    assert detector.devices() == (tmp_path / "event15",)


@pytest.mark.parametrize("listing", ["kiosk-without-jack.txt", "missing.txt"])
def test_without_a_jack_nothing_happens_but_one_log_line(
    listing: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.adapters.headset")
    detector = HeadsetDetector(source="auto", proc=FIXTURES / listing)
    detector.start(lambda _plugged: None)
    detector.start(lambda _plugged: None)
    assert not detector.watching
    detector.stop()
    assert [r.getMessage() for r in caplog.records] == ["headset_detection_unavailable"]


def test_a_configured_device_is_watched_until_stopped(tmp_path: Path) -> None:
    jack = tmp_path / "event3"
    os.mkfifo(jack)
    plugged = threading.Event()
    detector = HeadsetDetector(source=str(jack))
    detector.start(lambda p: plugged.set() if p else None)
    try:
        with jack.open("wb", buffering=0) as device:
            device.write(jack_frames(True))
            assert plugged.wait(10)
            assert detector.watching
    finally:
        detector.stop()
    assert not detector.watching

"""`HeadsetWatcher` on a real FIFO standing for the jack's event device: the test writes the
24-byte `input_event` frames the kernel sends when a headset is plugged in and pulled out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.speech.jack import HeadsetWatcher
from tests.headset.frames import jack_fifo
from tests.headset.frames import jack_frames as frames

WAIT_S = 10.0


class Changes:
    """The watcher's callback: each change, and an event set at each."""

    def __init__(self) -> None:
        self.seen: list[bool] = []
        self.threads: set[str] = set()
        self._events = [threading.Event() for _ in range(8)]

    def __call__(self, plugged: bool) -> None:
        self.threads.add(threading.current_thread().name)
        self.seen.append(plugged)
        self._events[len(self.seen) - 1].set()

    def wait(self, count: int) -> list[bool]:
        assert self._events[count - 1].wait(WAIT_S), f"no change {count}: {self.seen}"
        return self.seen


@pytest.fixture
def jack(tmp_path: Path) -> Path:
    return jack_fifo(tmp_path / "event7")


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def watcher(jack: Path, changes: Changes) -> Iterator[HeadsetWatcher]:
    w = HeadsetWatcher(devices=[jack], on_change=changes)
    w.start()
    yield w
    w.stop()


def test_plugged_then_removed_each_reported_once_on_the_watchers_thread(
    jack: Path, changes: Changes, watcher: HeadsetWatcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hardware.speech.jack")
    with jack.open("wb", buffering=0) as device:  # opens once the watcher's thread reads it
        device.write(frames(True, microphone=True))
        assert changes.wait(1) == [True]
        device.write(frames(True))  # the same state again: no change
        raw = frames(False)
        device.write(raw[:10])  # a read may end inside an event
        device.write(raw[10:])
        assert changes.wait(2) == [True, False]
        assert changes.threads == {"dev-headset"}
        watcher.stop()
        assert not watcher.running
    # the fixture starts the watcher before this test sets the level: its start line may be gone
    changed = [
        r for r in caplog.records if r.getMessage() in ("headset_plugged", "headset_removed")
    ]
    assert [r.getMessage() for r in changed] == ["headset_plugged", "headset_removed"]
    assert changed[0].__dict__["device"] == "event7"
    assert changes.seen == [True, False]


def test_stop_ends_the_thread_while_nothing_is_written(watcher: HeadsetWatcher) -> None:
    running = [watcher.running]
    watcher.stop()
    running.append(watcher.running)
    watcher.stop()  # again: nothing happens
    assert running == [True, False]


def test_a_device_that_goes_away_ends_the_watch_with_a_log_line(
    jack: Path, changes: Changes, watcher: HeadsetWatcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hardware.speech.jack")
    with jack.open("wb", buffering=0) as device:
        device.write(frames(True))
        changes.wait(1)
    # the writer is gone: the FIFO reads its end, as a card pulled out reads ENODEV
    watcher.join(WAIT_S)
    assert not watcher.running
    failed = [r for r in caplog.records if r.getMessage() == "headset_watch_failed"]
    assert [(r.__dict__["device"], r.__dict__["error"]) for r in failed] == [("event7", "ENODEV")]


def test_a_missing_device_is_logged_and_the_thread_ends(
    tmp_path: Path, changes: Changes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hardware.speech.jack")
    w = HeadsetWatcher(devices=[tmp_path / "event99"], on_change=changes)
    w.start()
    w.join(WAIT_S)
    assert not w.running
    w.stop()
    failed = [r for r in caplog.records if r.getMessage() == "headset_watch_failed"]
    assert [(r.__dict__["device"], r.__dict__["error"]) for r in failed] == [("event99", "ENOENT")]
    assert changes.seen == []

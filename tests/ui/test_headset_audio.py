"""A headset plugged in starts the audio mode: the jack's event device is a real FIFO into which
the test writes the kernel's `input_event` frames, the watcher is wired as the app wires it, and
the real espeak-ng speaks (no sound device: synthesised into /dev/null, read back from its
transcript)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hardware.runner import DeviceRunner
from hardware.speech import SpeechOutput, find_program
from kiosk.adapters.headset import HeadsetDetector
from kiosk.adapters.speech import EspeakSpeechAdapter, SpeechSettings
from kiosk.i18n import translate
from kiosk.journey import JourneyController
from kiosk.session import SessionState as S
from tests.core.fakes import FakePorts, make_settings
from tests.headset.frames import jack_fifo, jack_frames
from tests.ui.audio_rig import Audio, is_on
from tests.ui.conftest import UiRig
from ui.app import run_kiosk
from ui.speech import follow_headset

pytestmark = pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing")


@pytest.fixture
def jack(tmp_path: Path) -> Path:
    return jack_fifo(tmp_path / "event4")


def logged(caplog: pytest.LogCaptureFixture, message: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage() == message)


def test_plugging_a_headset_in_turns_the_audio_mode_on_and_speaks_the_attract_screen(
    ui: UiRig, audio: Audio, jack: Path, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    headset = HeadsetDetector(source=str(jack))
    follow_headset(headset, audio=audio.mode, poster=ui.poster)
    try:
        with jack.open("wb", buffering=0) as device:  # opens once the watcher reads it
            assert not is_on(audio)
            device.write(jack_frames(True, microphone=True))
            qtbot.waitUntil(lambda: audio.mode.active, timeout=5000)
            assert ui.state() is S.ATTRACT
            assert ui.controller.timeout_factor == 2.0
            assert logged(caplog, "audio_mode_started_by_headset") == 1
            first = audio.lines()[0]
            assert first["screen"] == "attract"
            assert first["text"].startswith(translate("speech.mode_on", "fr"))

            device.write(jack_frames(False))  # pulled out: the resident is not left in silence
            qtbot.waitUntil(lambda: logged(caplog, "audio_mode_kept_headset_removed") == 1)
            assert is_on(audio)

            said = len(audio.mode.said)
            device.write(jack_frames(True))  # in again while on: nothing is said again
            qtbot.waitUntil(lambda: logged(caplog, "headset_plugged_nothing_to_start") == 1)
            assert is_on(audio)
            assert len(audio.mode.said) == said
    finally:
        headset.stop()
    assert not headset.watching


def test_the_next_resident_gets_it_again_by_plugging_in(
    ui: UiRig, audio: Audio, jack: Path, qtbot: QtBot
) -> None:
    headset = HeadsetDetector(source=str(jack))
    follow_headset(headset, audio=audio.mode, poster=ui.poster)
    try:
        with jack.open("wb", buffering=0) as device:
            device.write(jack_frames(True))
            qtbot.waitUntil(lambda: audio.mode.active, timeout=5000)
            ui.click("start")
            ui.wait_for(S.LANGUAGE)
            ui.controller.cancel()  # the session ends: back to the attract screen, mode off
            ui.wait_for(S.ATTRACT)
            assert not is_on(audio)
            device.write(jack_frames(False) + jack_frames(True))
            qtbot.waitUntil(lambda: audio.mode.active, timeout=5000)
    finally:
        headset.stop()


def test_the_kiosk_run_watches_the_headset_from_start_to_end(
    qapp: QApplication,
    fakes: FakePorts,
    jack: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`run_kiosk(headset=...)`: the plug starts the audio mode; the run's end stops the watch."""
    caplog.set_level(logging.INFO)
    transcript = tmp_path / "spoken.jsonl"
    runner = DeviceRunner("speech")
    runner.start()
    speech = EspeakSpeechAdapter(
        runner=runner,
        settings=SpeechSettings(output=SpeechOutput.NONE, transcript=transcript),
    )
    headset = HeadsetDetector(source=str(jack))
    started = _QuitWhenLogged("audio_mode_started_by_headset")
    guard = QTimer()  # ends the run if the plug never starts the audio mode; stopped after it
    guard.setSingleShot(True)

    def plug() -> None:
        with jack.open("wb", buffering=0) as device:  # blocks until the run's watcher reads
            device.write(jack_frames(True))

    def on_start(_controller: JourneyController, quit_app: Callable[[int], None]) -> None:
        started.quit_app = quit_app
        guard.timeout.connect(lambda: quit_app(1))
        guard.start(20_000)
        threading.Thread(target=plug, daemon=True).start()

    logging.getLogger("ui.speech").addHandler(started)
    try:
        result = run_kiosk(
            ports=fakes.ports,
            settings=make_settings(),
            autoplay=None,
            on_start=on_start,
            speech=speech,
            headset=headset,
        )
    finally:
        guard.stop()
        logging.getLogger("ui.speech").removeHandler(started)
        runner.submit(lambda: None).result(timeout=10)
        runner.stop(close=speech.close)
    assert started.seen
    assert result.finished
    assert not headset.watching
    spoken = [json.loads(x) for x in transcript.read_text(encoding="utf-8").splitlines()]
    assert spoken[0]["screen"] == "attract"
    assert spoken[0]["text"].startswith(translate("speech.mode_on", "fr"))


class _QuitWhenLogged(logging.Handler):
    """Ends the interactive run (on the GUI thread) once `message` is logged."""

    def __init__(self, message: str) -> None:
        super().__init__(logging.INFO)
        self.message = message
        self.seen = False
        self.quit_app: Callable[[int], None] = lambda _code: None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == self.message and not self.seen:
            self.seen = True
            self.quit_app(0)  # the loop returns once `start()` has spoken the screen

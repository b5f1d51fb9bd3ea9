"""Every time-out warning is heard: a tone, in the audio mode (before the spoken countdown) and
outside it (the tone alone), through the speech engine's own output.

The window's tone requests are checked on a recording speech port; the tone itself is checked on
the real espeak-ng, its WAV output read back and its pitch measured (a Goertzel filter, no copy of
the tone's own making), and on the engine's transcript.
"""

from __future__ import annotations

import json
import math
import wave
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hardware.runner import DeviceRunner
from hardware.speech import SpeechOutput, find_program
from hardware.speech.tone import TONE_PITCH_HZ
from kiosk.adapters.speech import EspeakSpeechAdapter, SpeechSettings
from kiosk.session import SessionState as S
from kiosk.speech import Cue, Utterance, VoiceLevels, warning_begins, with_tone
from kiosk.view import JourneyView
from tests.core.fakes import Rig
from ui.main_window import KioskWindow
from ui.speech import AudioMode


class _Recorder:
    """A speech port that keeps what it is asked to say."""

    available = True
    levels = VoiceLevels()

    def __init__(self) -> None:
        self.said: list[Utterance] = []

    def say(self, utterance: Utterance) -> Future[None]:
        self.said.append(utterance)
        return _done()

    def silence(self) -> Future[None]:
        return _done()

    def set_levels(self, levels: VoiceLevels) -> None:
        self.levels = levels

    def reset(self) -> None:
        self.levels = VoiceLevels()


def _done() -> Future[None]:
    f: Future[None] = Future()
    f.set_result(None)
    return f


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Rig, AudioMode, _Recorder]]:
    rig = Rig(tmp_path)
    window = KioskWindow(rig.controller)
    window.ticker.stop()  # the test ticks the controller itself, on its manual clock
    qtbot.addWidget(window)
    speech = _Recorder()
    mode = AudioMode(window, speech=speech)
    window.show()
    yield rig, mode, speech
    window.close()


def _to_warning(rig: Rig) -> JourneyView:
    """Idle on the PIN screen until its time-out warning counts down."""
    rig.to_pin()
    limit = rig.controller.settings.timeouts_s[S.PIN] * rig.controller.timeout_factor
    rig.clock.now += limit - rig.controller.settings.timeout_warning_s + 1
    rig.controller.tick()
    view = rig.controller.view
    assert view.timeout_warning_s is not None
    return view


def test_outside_the_audio_mode_the_warning_is_a_tone_alone(
    kiosk: tuple[Rig, AudioMode, _Recorder],
) -> None:
    rig, mode, speech = kiosk
    assert not mode.active
    view = _to_warning(rig)
    (tone,) = speech.said
    assert tone.tone
    assert tone.text == ""  # nothing spoken outside the audio mode
    assert (tone.cue, tone.screen) == (Cue.TIMEOUT, "pin")
    rig.clock.now += 1  # the countdown goes on: no second tone for the same warning
    rig.controller.tick()
    assert rig.controller.view.timeout_warning_s == view.timeout_warning_s - 1  # type: ignore[operator]
    assert len(speech.said) == 1
    rig.controller.extend_time()  # more time; the next warning has its tone again
    limit = rig.controller.settings.timeouts_s[S.PIN]
    rig.clock.now += limit - rig.controller.settings.timeout_warning_s + 1
    rig.controller.tick()
    assert [u.tone for u in speech.said] == [True, True]


def test_in_the_audio_mode_the_tone_comes_before_the_spoken_countdown(
    kiosk: tuple[Rig, AudioMode, _Recorder],
) -> None:
    rig, mode, speech = kiosk
    rig.to_pin()
    mode.start()
    assert mode.active
    before = len(speech.said)
    _to_warning(rig)
    (warning,) = speech.said[before:]
    assert warning.tone
    seconds = rig.controller.view.timeout_warning_s
    assert str(seconds) in warning.text  # the countdown, spoken after the tone


def _view(state: S, language: str, prompt_key: str) -> JourneyView:
    return JourneyView(
        state=state,
        language=language,
        languages=("fr", "nl", "de", "en"),
        commune_name="Ottignies-Louvain-la-Neuve",
        prompt_key=prompt_key,
    )


def test_a_warning_begins_once_per_count_down() -> None:
    base = _view(S.PIN, "fr", "pin.prompt")
    counting = replace(base, timeout_warning_s=20)
    assert warning_begins(base, counting)
    assert not warning_begins(counting, replace(counting, timeout_warning_s=19))
    assert not warning_begins(counting, base)
    assert warning_begins(replace(counting, state=S.LANGUAGE), counting)  # a new screen's own
    alone = with_tone(counting, None)
    assert (alone.text, alone.tone, alone.language) == ("", True, "fr")


def _goertzel(samples: list[int], rate: int, pitch: float) -> float:
    """The signal's power at `pitch` (one DFT bin, the Goertzel recurrence)."""
    k = 2 * math.cos(2 * math.pi * pitch / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


@pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing")
def test_the_tone_is_played_by_espeak_ng_on_its_own_output(tmp_path: Path) -> None:
    runner = DeviceRunner("speech")
    runner.start()
    wav = tmp_path / "last.wav"
    transcript = tmp_path / "transcript.jsonl"
    settings = SpeechSettings(output=SpeechOutput.WAV, wav_path=wav, transcript=transcript)
    adapter = EspeakSpeechAdapter(runner=runner, settings=settings)
    try:
        view = _view(S.SUMMARY, "nl", "summary.prompt")
        adapter.say(with_tone(view, None)).result(timeout=10)
        engine = adapter.engine
        assert engine is not None
        assert runner.submit(engine.wait, 10.0).result(timeout=15) == 0
        with wave.open(str(wav)) as w:
            rate = w.getframerate()
            raw = w.readframes(w.getnframes())
        samples = list(memoryview(raw).cast("h"))
        assert len(samples) > rate // 5  # a quarter-second beep, not espeak-ng's silence
        power = {p: _goertzel(samples, rate, p) for p in (440.0, 660.0, TONE_PITCH_HZ, 1320.0)}
        assert max(power, key=lambda p: power[p]) == TONE_PITCH_HZ, power
        assert power[TONE_PITCH_HZ] > 100 * power[440.0]
    finally:
        runner.submit(adapter.close).result(timeout=10)
        runner.stop()
    (line,) = [json.loads(x) for x in transcript.read_text(encoding="utf-8").splitlines()]
    assert line == {
        "language": "nl",
        "text": "",
        "tone": "yes",
        "cue": "timeout",
        "screen": "summary",
    }

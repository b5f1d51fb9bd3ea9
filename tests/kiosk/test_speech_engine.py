"""The speech device: the real espeak-ng program, on its own thread, read back as WAV files."""

from __future__ import annotations

import array
import json
import logging
import math
import signal
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.runner import DeviceRunner
from hardware.speech import EspeakEngine, SpeechOutput, Voice, find_program, sound_device_present
from kiosk.adapters.speech import EspeakSpeechAdapter, SpeechSettings
from kiosk.speech import Cue, Utterance, VoiceLevels

pytestmark = pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing")

LONG_TEXT = " ".join(["Un certificat de composition de ménage, deux euros cinquante."] * 400)


@pytest.fixture
def runner() -> Iterator[DeviceRunner]:
    r = DeviceRunner("speech")
    r.start()
    yield r
    r.stop()


def engine_on(runner: DeviceRunner, tmp_path: Path, output: SpeechOutput) -> EspeakEngine:
    return EspeakEngine(
        program="espeak-ng",
        output=output,
        wav_path=tmp_path / "last.wav",
        transcript=tmp_path / "transcript.jsonl",
        check_thread=runner.assert_owner_thread,
    )


def speak_to_wav(runner: DeviceRunner, engine: EspeakEngine, text: str, voice: Voice) -> None:
    runner.call(engine.say, text, voice=voice, timeout=10)
    assert runner.call(engine.wait, 30, timeout=35) == 0


def samples(path: Path) -> tuple[wave.Wave_read, array.array[int]]:
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        assert w.getsampwidth() == 2
        data = array.array("h")
        data.frombytes(frames)
        return w, data


def rms(data: array.array[int]) -> float:
    return math.sqrt(sum(x * x for x in data) / len(data))


def test_an_utterance_is_synthesised_to_a_wav_file_and_kept_in_the_transcript(
    runner: DeviceRunner, tmp_path: Path
) -> None:
    engine = engine_on(runner, tmp_path, SpeechOutput.WAV)
    speak_to_wav(runner, engine, "Choisissez vos documents.", Voice(language="fr"))
    w, data = samples(tmp_path / "last.wav")
    assert (w.getnchannels(), w.getframerate()) == (1, 22050)
    assert len(data) / w.getframerate() > 0.5  # a sentence lasts more than half a second
    runner.call(engine.close, timeout=5)
    (line,) = (tmp_path / "transcript.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {"language": "fr", "text": "Choisissez vos documents."}


def test_volume_and_speed_reach_the_voice(runner: DeviceRunner, tmp_path: Path) -> None:
    engine = engine_on(runner, tmp_path, SpeechOutput.WAV)
    text = "Kies uw documenten."
    measured: dict[tuple[int, int], tuple[float, int]] = {}
    for amplitude, rate in ((25, 175), (200, 175), (100, 120), (100, 250)):
        speak_to_wav(runner, engine, text, Voice(language="nl", amplitude=amplitude, rate=rate))
        _, data = samples(tmp_path / "last.wav")
        measured[amplitude, rate] = (rms(data), len(data))
    runner.call(engine.close, timeout=5)
    quiet, loud = measured[25, 175][0], measured[200, 175][0]
    gain_db = 20 * math.log10(loud / quiet)
    assert gain_db > 12, gain_db  # the four volume steps span 18 dB on paper
    assert measured[100, 250][1] < measured[100, 120][1] * 0.75  # faster speech is shorter


def test_a_new_utterance_cuts_the_one_being_spoken(runner: DeviceRunner, tmp_path: Path) -> None:
    engine = engine_on(runner, tmp_path, SpeechOutput.NONE)
    runner.call(engine.say, LONG_TEXT, voice=Voice(language="fr"), timeout=10)
    first = engine._process
    assert first is not None
    assert runner.call(lambda: engine.speaking, timeout=5)
    runner.call(engine.say, "Chiffre saisi.", voice=Voice(language="fr"), timeout=10)
    assert first.returncode == -signal.SIGTERM
    assert engine.interrupted == 1
    assert runner.call(engine.wait, 30, timeout=35) == 0
    assert runner.call(engine.stop, timeout=5) is False
    runner.call(engine.close, timeout=5)
    texts = [
        json.loads(x)["text"] for x in (tmp_path / "transcript.jsonl").read_text().splitlines()
    ]
    assert texts == [LONG_TEXT, "Chiffre saisi."]


def test_the_engine_runs_only_on_its_owner_thread(runner: DeviceRunner, tmp_path: Path) -> None:
    engine = engine_on(runner, tmp_path, SpeechOutput.NONE)
    with pytest.raises(RuntimeError, match="owner thread"):
        engine.say("Bonjour", voice=Voice(language="fr"))
    runner.call(engine.close, timeout=5)


def test_the_adapter_speaks_with_the_levels_and_resets_them(
    runner: DeviceRunner, tmp_path: Path
) -> None:
    transcript = tmp_path / "t.jsonl"
    adapter = EspeakSpeechAdapter(
        runner=runner, settings=SpeechSettings(output=SpeechOutput.NONE, transcript=transcript)
    )
    assert adapter.available
    adapter.set_levels(VoiceLevels().louder(1).faster(-2))
    utterance = Utterance(language="de", text="Ziffer eingegeben.", cue=Cue.CHANGE, screen="pin")
    adapter.say(utterance).result(timeout=10)
    assert adapter.levels.amplitude == 200
    adapter.reset()
    assert adapter.levels == VoiceLevels()
    runner.stop(close=adapter.close)
    (line,) = transcript.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {
        "language": "de",
        "text": "Ziffer eingegeben.",
        "cue": "change",
        "screen": "pin",
    }


def test_without_espeak_ng_the_audio_mode_is_unavailable(
    runner: DeviceRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    adapter = EspeakSpeechAdapter(
        runner=runner,
        settings=SpeechSettings(program="espeak-ng-not-installed", transcript=tmp_path / "t"),
    )
    assert not adapter.available
    utterance = Utterance(language="fr", text="Bonjour.", cue=Cue.SCREEN, screen="attract")
    assert adapter.say(utterance).result(timeout=1) is None
    assert [r.message for r in caplog.records].count("speech_engine_missing") == 1
    assert not (tmp_path / "t").exists()


def test_the_sound_device_is_found_from_alsa_or_a_sound_server(tmp_path: Path) -> None:
    snd = tmp_path / "snd"
    snd.mkdir()
    assert not sound_device_present(dev_snd=snd, environ={})
    (snd / "pcmC0D0c").touch()  # a capture device only
    assert not sound_device_present(dev_snd=snd, environ={})
    (snd / "pcmC0D0p").touch()
    assert sound_device_present(dev_snd=snd, environ={})
    assert sound_device_present(dev_snd=tmp_path / "none", environ={"PULSE_SERVER": "unix:/x"})

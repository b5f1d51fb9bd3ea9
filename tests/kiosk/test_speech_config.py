"""The `[speech]` settings of the audio mode."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from hardware.speech import SpeechOutput
from kiosk.adapters.headset import HeadsetDetector
from kiosk.app import speech_settings
from kiosk.app_settings import headset_detector
from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from tests.kiosk.test_config import REPO, _write


def demo_with(tmp_path: Path, **speech: str) -> Path:
    data = tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8"))
    data["speech"] = dict(speech)
    return _write(tmp_path, data)


def test_by_default_espeak_ng_speaks_to_the_sound_device_when_there_is_one() -> None:
    config = load_config(REPO / "kiosk.toml", environ={})
    settings = speech_settings(config)
    assert (settings.program, settings.output) == ("espeak-ng", SpeechOutput.AUTO)
    assert settings.transcript is None
    assert settings.wav_path is None


def test_the_transcript_and_wav_file_live_under_var(tmp_path: Path) -> None:
    path = demo_with(
        tmp_path, output="wav", wav_file="var/run/speech.wav", transcript="var/log/spoken.jsonl"
    )
    config = load_config(path, environ={"BORNE_VAR_DIR": str(tmp_path / "state")})
    assert config.speech.wav_file == tmp_path / "state" / "run" / "speech.wav"
    assert config.speech.transcript == tmp_path / "state" / "log" / "spoken.jsonl"
    override = load_config(path, environ={"BORNE_SPEECH_TRANSCRIPT": str(tmp_path / "t.jsonl")})
    assert override.speech.transcript == tmp_path / "t.jsonl"


@pytest.mark.parametrize(
    ("speech", "key"),
    [({"output": "speaker"}, "speech.output"), ({"output": "wav"}, "speech.wav_file")],
)
def test_a_bad_speech_setting_names_its_key(
    tmp_path: Path, speech: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"'{key}'")):
        load_config(demo_with(tmp_path, **speech), environ={})


def test_the_headset_is_detected_automatically_by_default() -> None:
    config = load_config(REPO / "kiosk.toml", environ={})
    assert config.speech.headset == "auto"
    assert isinstance(headset_detector(config), HeadsetDetector)


def test_the_headset_detection_can_be_off_or_one_event_device(tmp_path: Path) -> None:
    off = load_config(demo_with(tmp_path, headset="off"), environ={})
    assert off.speech.headset == "off"
    assert headset_detector(off) is None
    one = load_config(demo_with(tmp_path, headset="/dev/input/by-path/jack-event"), environ={})
    detector = headset_detector(one)
    assert detector is not None
    assert detector.devices() == (Path("/dev/input/by-path/jack-event"),)


@pytest.mark.parametrize("value", ["on", "event5", "", 1, True])
def test_a_bad_headset_setting_names_its_key(tmp_path: Path, value: object) -> None:
    data = tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8"))
    data["speech"] = {"headset": value}
    with pytest.raises(ConfigError, match=re.escape("'speech.headset'")):
        load_config(_write(tmp_path, data), environ={})

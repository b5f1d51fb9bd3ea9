"""Speech output for the audio mode: espeak-ng run as a program (`hardware.speech.espeak`)."""

from hardware.speech.espeak import (
    EspeakEngine,
    SpeechEngineMissing,
    SpeechOutput,
    Voice,
    find_program,
    sound_device_present,
)

__all__ = [
    "EspeakEngine",
    "SpeechEngineMissing",
    "SpeechOutput",
    "Voice",
    "find_program",
    "sound_device_present",
]

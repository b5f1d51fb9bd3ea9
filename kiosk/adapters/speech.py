"""The speech device: espeak-ng (`hardware.speech`) on its own thread, as a `SpeechPort`.

Without espeak-ng the port says so once in the log and reports itself unavailable: the audio
mode's buttons stay hidden and nothing else changes. Volume and speed live here (set from the
main thread, read by each utterance) and go back to their defaults after every session.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from hardware.errors import DeviceUnavailable
from hardware.runner import DeviceRunner
from hardware.speech import EspeakEngine, SpeechEngineMissing, SpeechOutput, Voice
from kiosk.speech import Utterance, VoiceLevels

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechSettings:
    program: str = "espeak-ng"
    output: SpeechOutput = SpeechOutput.AUTO
    wav_path: Path | None = None
    transcript: Path | None = None


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


class EspeakSpeechAdapter:
    """`SpeechPort` over `EspeakEngine`; every engine call runs on the runner's thread."""

    def __init__(self, *, runner: DeviceRunner, settings: SpeechSettings) -> None:
        self._runner = runner
        self._levels = VoiceLevels()
        self._engine: EspeakEngine | None = None
        try:
            self._engine = EspeakEngine(
                program=settings.program,
                output=settings.output,
                wav_path=settings.wav_path,
                transcript=settings.transcript,
                check_thread=runner.assert_owner_thread,
            )
        except SpeechEngineMissing:
            log.warning("speech_engine_missing", extra={"program": settings.program})
        else:
            log.info("speech_engine_ready", extra={"output": self._engine.output.value})

    @property
    def available(self) -> bool:
        return self._engine is not None and self._runner.running

    @property
    def levels(self) -> VoiceLevels:
        return self._levels

    @property
    def engine(self) -> EspeakEngine | None:
        return self._engine

    def set_levels(self, levels: VoiceLevels) -> None:
        self._levels = levels

    def say(self, utterance: Utterance) -> Future[None]:
        engine = self._engine
        if engine is None or not self._runner.running:
            return _done()
        voice = Voice(
            language=utterance.language,
            amplitude=self._levels.amplitude,
            rate=self._levels.words_per_minute,
        )
        future = self._runner.submit(
            engine.say, utterance.text, voice=voice, record=utterance.record(), tone=utterance.tone
        )
        future.add_done_callback(_log_failure)
        return future

    def silence(self) -> Future[None]:
        engine = self._engine
        if engine is None or not self._runner.running:
            return _done()
        future: Future[None] = self._runner.submit(_stop, engine)
        future.add_done_callback(_log_failure)
        return future

    def reset(self) -> None:
        """Default volume and speed (EN 301 549 5.1.3.13: reset after every use), silence."""
        self._levels = VoiceLevels()
        self.silence()

    def close(self) -> None:
        """On the runner's thread, at stop: the last utterance is cut, the transcript closed."""
        if self._engine is not None:
            self._engine.close()


def _stop(engine: EspeakEngine) -> None:
    engine.stop()


def _log_failure(future: Future[None]) -> None:
    if future.cancelled():
        return
    err = future.exception()
    if isinstance(err, DeviceUnavailable):
        log.warning("speech_failed", extra={"error": type(err).__name__})
    elif err is not None:
        log.error("speech_failed", exc_info=err)

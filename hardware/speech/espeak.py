"""espeak-ng as a program: one utterance at a time, a new one stops the one still speaking.

A plain blocking driver for one owner thread (`hardware.runner.DeviceRunner`): `say` starts an
`espeak-ng` process and returns while it speaks, so the next `say` (or `stop`) can interrupt it
(EN 301 549 5.1.3.4/5.1.3.5). The text goes in on stdin, never on the command line. The audio goes
to the sound device, or to a WAV file, or nowhere (`--stdout` into /dev/null: still synthesised,
so a broken voice shows). Each text spoken is appended to an optional transcript (JSON lines), used
by the tests and by training stands; the transcript holds what the resident hears, which by
construction (`kiosk.speech`) is never the PIN nor personal data.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from pathlib import Path
from typing import IO

from hardware.errors import DeviceUnavailable
from hardware.speech.tone import tone_wav

log = logging.getLogger(__name__)

VOICES: Mapping[str, str] = {"fr": "fr-be", "nl": "nl", "de": "de", "en": "en-gb"}
"""espeak-ng voice per screen language (Belgian French; Dutch; German; British English)."""

DEFAULT_AMPLITUDE = 100
DEFAULT_RATE = 175
STOP_WAIT_S = 2.0


class SpeechEngineMissing(DeviceUnavailable):
    """espeak-ng is not installed (or not executable)."""

    def __init__(self, program: str) -> None:
        super().__init__(f"speech engine {program!r} not found", device="speech")


class SpeechOutput(StrEnum):
    AUTO = "auto"
    """The sound device when there is one, else nowhere."""
    DEVICE = "device"
    WAV = "wav"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice:
    language: str
    amplitude: int = DEFAULT_AMPLITUDE
    """espeak-ng `-a`, 0 to 200 (linear: twice the amplitude is +6 dB)."""
    rate: int = DEFAULT_RATE
    """espeak-ng `-s`, words per minute."""


def find_program(program: str) -> str | None:
    """The full path of `program`, or None when it is not installed."""
    return shutil.which(program)


def sound_device_present(
    *, dev_snd: Path = Path("/dev/snd"), environ: Mapping[str, str] | None = None
) -> bool:
    """An ALSA playback device, or a PulseAudio/PipeWire server, is there to play to."""
    env = os.environ if environ is None else environ
    if env.get("PULSE_SERVER"):
        return True
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and (
        (Path(runtime) / "pulse" / "native").exists() or (Path(runtime) / "pipewire-0").exists()
    ):
        return True
    try:
        return any(p.name.startswith("pcm") and p.name.endswith("p") for p in dev_snd.iterdir())
    except OSError:
        return False


class EspeakEngine:
    """Speaks one text at a time through an `espeak-ng` process (see the module docstring)."""

    def __init__(
        self,
        *,
        program: str,
        output: SpeechOutput,
        wav_path: Path | None = None,
        transcript: Path | None = None,
        check_thread: Callable[[], None] | None = None,
    ) -> None:
        found = find_program(program)
        if found is None:
            raise SpeechEngineMissing(program)
        if output is SpeechOutput.AUTO:
            output = SpeechOutput.DEVICE if sound_device_present() else SpeechOutput.NONE
        if output is SpeechOutput.WAV and wav_path is None:
            raise ValueError("WAV output needs a wav_path")
        self.program = found
        self.output = output
        self._wav_path = wav_path
        self._check_thread = check_thread or (lambda: None)
        self._process: subprocess.Popen[bytes] | None = None
        self._transcript: IO[str] | None = None
        if transcript is not None:
            transcript.parent.mkdir(parents=True, exist_ok=True)
            self._transcript = transcript.open("a", encoding="utf-8")
        self.interrupted = 0
        """How many utterances a newer one (or `stop`) cut short."""
        self._tone: Path | None = None

    def _tone_file(self) -> Path:
        """The warning tone's WAV, written once into a private directory."""
        if self._tone is None:
            folder = Path(tempfile.mkdtemp(prefix="borne-tone-"))
            path = folder / "tone.wav"
            path.write_bytes(tone_wav())
            self._tone = path
        return self._tone

    def say(
        self,
        text: str,
        *,
        voice: Voice,
        record: Mapping[str, str] | None = None,
        tone: bool = False,
    ) -> None:
        """Stop what is being said and start saying `text` (after the warning tone with `tone`;
        `text` may then be empty); returns while it is spoken."""
        self._check_thread()
        self.stop()
        if self._transcript is not None:
            line = {"language": voice.language, "text": text, **dict(record or {})}
            if tone:
                line["tone"] = "yes"
            self._transcript.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._transcript.flush()
        args = [
            self.program,
            "-v",
            VOICES.get(voice.language, voice.language),
            "-a",
            str(max(0, min(200, voice.amplitude))),
            "-s",
            str(max(80, min(450, voice.rate))),
            "--stdin",
        ]
        if tone:  # SSML: the tone file, then the words as plain text
            args.append("-m")
            src = escape(str(self._tone_file()), quote=True)
            text = f'<speak><audio src="{src}"/>{escape(text, quote=False)}</speak>'
        stdout: int | None = subprocess.DEVNULL
        if self.output is SpeechOutput.WAV and self._wav_path is not None:
            args += ["-w", str(self._wav_path)]
        elif self.output is SpeechOutput.NONE:
            args.append("--stdout")
        try:
            process = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.DEVNULL
            )
        except OSError as err:
            raise DeviceUnavailable("speech engine did not start", device="speech") from err
        assert process.stdin is not None
        try:
            process.stdin.write(text.encode("utf-8"))
            process.stdin.close()
        except BrokenPipeError:
            log.warning("speech_engine_closed_input")
        self._process = process

    def stop(self) -> bool:
        """Cut the current utterance short; True when one was still being spoken."""
        self._check_thread()
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            self._reap(process)
            return False
        process.terminate()
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.interrupted += 1
        return True

    def wait(self, timeout: float) -> int | None:
        """Wait for the current utterance to end; its exit status, or None when none is spoken."""
        self._check_thread()
        process = self._process
        if process is None:
            return None
        return process.wait(timeout=timeout)

    @property
    def speaking(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        self.stop()
        if self._transcript is not None:
            self._transcript.close()
            self._transcript = None
        if self._tone is not None:
            shutil.rmtree(self._tone.parent, ignore_errors=True)
            self._tone = None

    def _reap(self, process: subprocess.Popen[bytes] | None) -> None:
        if process is None:
            return
        code = process.wait()
        if code != 0:
            log.warning("speech_engine_failed", extra={"exit_code": code})

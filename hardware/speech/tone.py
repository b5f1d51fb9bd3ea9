"""The time-out warning's tone: a short sine beep as a WAV file, played through espeak-ng.

espeak-ng plays a sound file named by an SSML `<audio>` element inline with its speech, on the
same output (sound device, WAV file or nowhere) as every utterance: the tone needs no second audio
path. The samples are made here (pure), written once by `EspeakEngine`.
"""

from __future__ import annotations

import io
import math
import struct
import wave

TONE_RATE_HZ = 22_050
"""espeak-ng's own sample rate: the file is played as it is, never resampled."""
TONE_PITCH_HZ = 880.0
TONE_S = 0.25
TONE_PEAK = 0.4
"""Of full scale: clearly heard over a hall's noise, never harsh at espeak-ng's loudest."""
FADE_S = 0.01
"""Rise and fall, so the beep starts and ends without a click."""


def tone_wav(
    *, pitch_hz: float = TONE_PITCH_HZ, seconds: float = TONE_S, rate_hz: int = TONE_RATE_HZ
) -> bytes:
    """A mono 16-bit PCM WAV of a sine at `pitch_hz`, `seconds` long, faded in and out."""
    frames = round(seconds * rate_hz)
    fade = max(1, round(FADE_S * rate_hz))
    peak = TONE_PEAK * 32767
    samples = []
    for i in range(frames):
        envelope = min(1.0, i / fade, (frames - 1 - i) / fade)
        samples.append(round(peak * envelope * math.sin(2 * math.pi * pitch_hz * i / rate_hz)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(struct.pack(f"<{frames}h", *samples))
    return out.getvalue()

"""The audio mode's test rig: the real espeak-ng behind its device runner, speaking into
/dev/null and writing its transcript, read back by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from hardware.runner import DeviceRunner
from hardware.speech import SpeechOutput
from kiosk.adapters.speech import EspeakSpeechAdapter, SpeechSettings
from ui.speech import AudioMode

if TYPE_CHECKING:
    from tests.ui.conftest import UiRig


class Audio:
    def __init__(self, ui: UiRig, tmp_path: Path, *, program: str = "espeak-ng") -> None:
        self.transcript = tmp_path / "spoken.jsonl"
        self.runner = DeviceRunner("speech")
        self.runner.start()
        self.adapter = EspeakSpeechAdapter(
            runner=self.runner,
            settings=SpeechSettings(
                program=program, output=SpeechOutput.NONE, transcript=self.transcript
            ),
        )
        self.mode = AudioMode(ui.window, speech=self.adapter)

    def lines(self) -> list[dict[str, str]]:
        self.runner.submit(lambda: None).result(timeout=10)  # what was queued is written
        if not self.transcript.exists():
            return []
        return [json.loads(x) for x in self.transcript.read_text(encoding="utf-8").splitlines()]

    def close(self) -> None:
        self.runner.stop(close=self.adapter.close)


def is_on(audio: Audio) -> bool:
    return audio.mode.active

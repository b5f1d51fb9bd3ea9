"""The audio mode in the kiosk window: started by its button or key, spoken by the real
espeak-ng (no sound device: synthesised into /dev/null), read back from the engine's transcript."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Future
from pathlib import Path
from typing import cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from hardware.speech import find_program
from kiosk.i18n import translate
from kiosk.journey import PROMPT_KEYS, JourneyController
from kiosk.ports import Ports
from kiosk.session import SessionState as S
from kiosk.speech import Cue, Utterance, VoiceLevels
from tests.core.fakes import make_settings
from tests.ui.audio_rig import Audio, is_on
from tests.ui.conftest import UiRig
from ui.layout import misfits
from ui.main_window import KioskWindow
from ui.screenshots import _Inert, _sample
from ui.speech import AUDIO_BUTTON, AudioMode

pytestmark = pytest.mark.skipif(find_program("espeak-ng") is None, reason="espeak-ng missing")


def _key(key: Qt.Key, text: str = "") -> None:
    target = QApplication.focusWidget()
    assert target is not None
    QTest.keyClick(target, key) if not text else QTest.keyClicks(target, text)


def test_the_button_turns_it_on_every_screen_is_spoken_and_the_session_end_resets_it(
    ui: UiRig, audio: Audio
) -> None:
    ui.window.activateWindow()
    entry = ui.button(AUDIO_BUTTON)
    assert entry.isVisibleTo(ui.window.current_screen)
    assert entry.text() == translate("speech.start_button", "fr")
    assert QApplication.focusWidget() is ui.button("start")  # the first focus stays on Start
    ui.click(AUDIO_BUTTON)
    assert audio.mode.active
    assert ui.controller.timeout_factor == 2.0
    assert audio.mode.bar.isVisibleTo(ui.window)
    assert ui.state() is S.ATTRACT  # the button does not start the session by itself
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    _key(Qt.Key.Key_Right)  # lang_fr -> lang_nl
    ui.click("lang_nl")
    ui.wait_for(S.INSERT_CARD)
    ui.fakes.card.insert()
    ui.wait_for(S.PIN)
    _key(Qt.Key.Key_1)
    _key(Qt.Key.Key_2)
    _key(Qt.Key.Key_Backspace)
    _key(Qt.Key.Key_2)
    _key(Qt.Key.Key_3)
    _key(Qt.Key.Key_4)
    _key(Qt.Key.Key_Plus)  # louder
    assert audio.adapter.levels.volume == 3
    _key(Qt.Key.Key_Return)
    ui.wait_for(S.CHOOSE_DOCUMENTS)
    lines = audio.lines()
    first = lines[0]
    assert first["screen"] == "attract"
    assert first["text"].startswith(translate("speech.mode_on", "fr"))
    assert first["text"].endswith(
        translate("speech.focus_on", "fr", control="Commencer — Beginnen") + "."
    )
    screens = [x["screen"] for x in lines if x["cue"] == Cue.SCREEN]
    assert screens[:5] == ["attract", "language", "insert_card", "reading", "pin"]
    language = next(x for x in lines if x["screen"] == "language")
    assert "Nederlands" in language["text"]
    focus = [x for x in lines if x["cue"] == Cue.FOCUS]
    assert focus[0] == {
        "language": "fr",
        "text": "Nederlands.",
        "cue": "focus",
        "screen": "language",
    }
    pin = [x["text"] for x in lines if x["screen"] == "pin" and x["cue"] != Cue.SCREEN]
    assert pin == [
        "Cijfer ingevoerd.",
        "Cijfer ingevoerd.",
        "Cijfer gewist.",
        "Cijfer ingevoerd.",
        "Cijfer ingevoerd.",
        "Cijfer ingevoerd. U kunt uw code bevestigen.",
        "Volume 4 van 4.",
    ]
    assert all(x["language"] == "nl" for x in lines if x["screen"] not in ("attract", "language"))
    assert ui.fakes.card.received_pins == [b"1234"]
    for line in lines:
        assert "1234" not in "".join(c for c in line["text"] if c.isdigit()), line
    ui.click("cancel")
    ui.wait_for(S.REMOVE_CARD)
    ui.fakes.card.remove()
    ui.wait_for(S.ATTRACT)
    assert not is_on(audio)
    assert ui.controller.timeout_factor == 1.0
    assert audio.adapter.levels == VoiceLevels()
    assert not audio.mode.bar.isVisibleTo(ui.window)


def test_the_audio_key_starts_it_anywhere_and_then_repeats_the_screen(
    ui: UiRig, audio: Audio
) -> None:
    ui.window.activateWindow()
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    ui.click("lang_de")
    ui.wait_for(S.INSERT_CARD)
    assert audio.lines() == []
    _key(Qt.Key.Key_F1)
    assert audio.mode.active
    _key(Qt.Key.Key_Asterisk)
    _key(Qt.Key.Key_PageDown)
    assert audio.adapter.levels.rate == 1
    audio.mode.bar_buttons["audio_quieter"].click()
    assert audio.adapter.levels.volume == 1
    lines = audio.lines()
    prompt = translate("insert_card.prompt", "de")
    assert lines[0]["text"].startswith(translate("speech.mode_on", "de"))
    assert prompt in lines[0]["text"]
    assert lines[1]["text"].startswith(prompt)
    assert [x["text"] for x in lines[2:]] == ["Geschwindigkeit 2 von 5.", "Lautstärke 2 von 4."]
    texts = {b.text() for b in audio.mode.bar.findChildren(QPushButton)}
    assert texts == {"Leiser", "Lauter", "Langsamer", "Schneller", "Wiederholen"}


def test_without_the_engine_the_audio_buttons_stay_hidden(ui: UiRig, tmp_path: Path) -> None:
    audio = Audio(ui, tmp_path, program="espeak-ng-not-installed")
    try:
        assert not audio.adapter.available
        assert audio.mode.entry_buttons
        assert not any(b.isVisibleTo(ui.window) for b in audio.mode.entry_buttons)
        ui.window.activateWindow()
        _key(Qt.Key.Key_F1)
        assert not audio.mode.active
        assert ui.controller.timeout_factor == 1.0
    finally:
        audio.close()


class _Silent:
    """A speech port that is there but says nothing: for the layout with the audio controls."""

    available = True
    levels = VoiceLevels()

    def say(self, utterance: Utterance) -> Future[None]:
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


def test_the_audio_controls_fit_every_screen_and_language(qtbot: QtBot) -> None:
    size = (1080, 1920)  # the portrait kiosk screen, as tests/ui/test_layout_fit.py
    settings = dataclasses.replace(make_settings(), commune_name="Ottignies-Louvain-la-Neuve")
    controller = JourneyController(
        ports=cast(Ports, _Inert()),
        settings=settings,
        post=lambda _f: None,
        clock=time.monotonic,
        ids=lambda: "layout",
    )
    win = KioskWindow(controller)
    win.ticker.stop()
    qtbot.addWidget(win)
    mode = AudioMode(win, speech=_Silent())
    win.resize(*size)
    win.show()
    problems: list[str] = []
    for lang in ("fr", "nl", "de", "en"):
        for state in PROMPT_KEYS:
            mode.bar.setVisible(state is not S.ATTRACT)  # on from the language screen on
            view = _sample(dataclasses.replace(controller.view, language=lang), state)
            win.show_view(view)
            mode._label(view)
            win.resize(*size)
            QApplication.processEvents()
            layout = win.layout()
            assert layout is not None
            layout.activate()
            assert (win.width(), win.height()) == size
            problems += [f"{lang} {state.value}: {p}" for p in misfits(win)]
            mode.bar.hide()
    assert not problems, "\n".join(problems)

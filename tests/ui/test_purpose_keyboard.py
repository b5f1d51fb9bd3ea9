"""The typed purpose in the kiosk window: "Other purpose…", then the on-screen keyboard clicked key
by key (QTest) and a physical keyboard; the summary shows the text, the audio mode speaks each key."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.flows.purpose import DEFAULT_PURPOSES, PURPOSE
from kiosk.flows.purpose_text import PURPOSE_TEXT
from kiosk.i18n import translate
from kiosk.session import SessionState
from kiosk.speech import Utterance, VoiceLevels
from tests.core.fakes import FakePorts, make_settings
from tests.ui.conftest import UiRig
from tests.ui.test_kiosk_ui import off_main_thread
from ui.onscreen_keyboard import ERASE, SHIFT, SPACE, key_name
from ui.screens.purpose_text import PurposeTextScreen
from ui.screens.summary import SummaryScreen
from ui.speech import AudioMode

S = SessionState


class _Heard:
    """A speech port that keeps what it is given (the audio mode's own record is checked)."""

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


@pytest.fixture
def purpose_ui(qtbot: QtBot, fakes: FakePorts) -> Iterator[UiRig]:
    rig = UiRig(
        qtbot, fakes, settings=dataclasses.replace(make_settings(), purposes=DEFAULT_PURPOSES)
    )
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


def _to_keyboard(ui: UiRig, language: str) -> PurposeTextScreen:
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    ui.click(f"lang_{language}")
    ui.wait_for(S.INSERT_CARD)
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    for digit in "1234":
        ui.click(f"pin_{digit}")
    ui.click("pin_ok")
    ui.wait_for(S.CHOOSE_DOCUMENTS)
    ui.click("doc_residence")
    ui.click("docs_confirm")
    ui.wait_for(PURPOSE)
    assert ui.button("purpose_other").text().replace("\n", " ") == translate(
        "purpose.other", language
    )
    ui.click("purpose_other")
    ui.wait_for(PURPOSE_TEXT)
    screen = ui.window.current_screen
    assert isinstance(screen, PurposeTextScreen)
    return screen


def _focused_key(key: Qt.Key | None = None, text: str = "") -> None:
    target = QApplication.focusWidget()
    assert target is not None
    if key is not None:
        QTest.keyClick(target, key)
    else:
        QTest.keyClicks(target, text)


def test_typed_by_clicking_keys_then_shown_on_the_summary_and_spoken(purpose_ui: UiRig) -> None:
    ui = purpose_ui
    audio = AudioMode(ui.window, speech=_Heard())
    screen = _to_keyboard(ui, "fr")
    audio.start()
    for char in [SHIFT, "\u00e9", "c", "o", "l", "e", SPACE, "d", "u", "s", ERASE, SPACE]:
        ui.click(key_name(char))
    assert screen.keyboard.display.full == "École du "
    said = [u.text for u in audio.said]
    assert translate("osk.say.capital", "fr", letter="É") in said
    assert translate("osk.say.space", "fr") in said
    assert translate("osk.say.erased_char", "fr", char="s") in said
    # a physical keyboard, with the focus on a key: Space and Backspace type, never go back
    screen.keyboard.keys["a"].setFocus()
    _focused_key(text="soirs")
    _focused_key(Qt.Key.Key_Backspace)
    assert ui.state() is PURPOSE_TEXT
    assert screen.keyboard.text() == "École du soir"
    ui.click("osk_done")
    ui.wait_for(S.SUMMARY)
    summary = ui.window.current_screen
    assert isinstance(summary, SummaryScreen)
    assert summary.purpose.text() == translate("summary.purpose", "fr", purpose="École du soir")
    ui.qtbot.waitUntil(lambda: any("École du soir" in u.text for u in audio.said[-3:]))
    audio.stop()


def test_an_empty_text_is_refused_with_a_notice_and_back_keeps_the_list(purpose_ui: UiRig) -> None:
    ui = purpose_ui
    screen = _to_keyboard(ui, "de")
    assert screen.keyboard.findChild(type(screen.keyboard.keys["z"]), "osk_z") is not None
    row = sorted((b for c, b in screen.keyboard.keys.items() if c in "qwertz"), key=lambda b: b.x())
    assert "".join(b.text() for b in row) == "qwertz"  # QWERTZ for German
    # the arrows reach the keys and Enter presses one (ui.keyboard's navigation)
    screen.keyboard.keys["q"].setFocus()
    _focused_key(Qt.Key.Key_Right)
    assert QApplication.focusWidget() is screen.keyboard.keys["w"]
    _focused_key(Qt.Key.Key_Return)
    assert screen.keyboard.text() == "w"
    _focused_key(Qt.Key.Key_Backspace)
    assert screen.keyboard.text() == ""
    ui.click(key_name(SPACE))
    ui.click("osk_done")
    ui.qtbot.waitUntil(lambda: screen.notice.isVisibleTo(screen))
    assert screen.notice.text() == translate("purpose_text.empty", "de")
    assert ui.state() is PURPOSE_TEXT
    ui.click("back")
    ui.wait_for(PURPOSE)
    assert ui.controller.view.notice_key is None

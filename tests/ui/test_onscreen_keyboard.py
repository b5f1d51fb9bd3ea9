"""The on-screen keyboard through its keys: clicked with QTest, typed on a physical keyboard,
in the layout of each screen language, 2 cm keys, refusals shown and spoken."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.i18n import translate
from ui.layout import Fit
from ui.onscreen_keyboard import ERASE, SHIFT, SPACE, OnScreenKeyboard, key_name
from ui.theme import MIN_TARGET_MM, MM_PER_INCH


@pytest.fixture
def keyboard(qtbot: QtBot) -> OnScreenKeyboard:
    widget = OnScreenKeyboard(language="fr", max_length=12, allowed=lambda c: c != "@")
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def _click(keyboard: OnScreenKeyboard, char: str) -> None:
    button = keyboard.findChild(QPushButton, key_name(char))
    assert button is not None, char
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_clicked_keys_type_the_text_shown(keyboard: OnScreenKeyboard, qtbot: QtBot) -> None:
    said: list[str] = []
    keyboard.announce.connect(said.append)
    for char in [SHIFT, "c", "a", "f", "\u00e9", SPACE, "1", "-", "2"]:
        _click(keyboard, char)
    assert keyboard.text() == "Café 1-2"
    assert keyboard.display.full == "Café 1-2"
    assert said[:2] == [translate("osk.say.capital", "fr", letter="C"), "a"]
    assert translate("osk.say.space", "fr") in said
    _click(keyboard, ERASE)
    assert keyboard.text() == "Café 1-"
    with qtbot.waitSignal(keyboard.submitted) as done:
        _click(keyboard, "OK")
    assert done.args == ["Café 1-"]


def test_the_layout_follows_the_screen_language(keyboard: OnScreenKeyboard) -> None:
    def first_row() -> str:
        keys = [keyboard.keys[c] for c in keyboard.keys if c.isalpha()]
        top = min(k.y() for k in keys)
        row = sorted((k for k in keys if k.y() == top), key=lambda k: k.x())
        return "".join(k.text() for k in row)[:6]

    expected = {"fr": "azerty", "nl": "azerty", "de": "qwertz", "en": "qwerty"}
    for language, row in expected.items():
        keyboard.set_language(language)
        QApplication.processEvents()
        layout = keyboard.layout()
        assert layout is not None
        layout.activate()
        assert first_row() == row, language
    assert keyboard.findChild(QPushButton, key_name("ß")) is not None


def test_limits_and_refused_characters(keyboard: OnScreenKeyboard) -> None:
    refusals: list[str] = []
    keyboard.refused.connect(refusals.append)
    at = keyboard.findChild(QPushButton, key_name("@"))
    assert at is not None
    assert not at.isEnabled()  # this entry never takes it
    QTest.keyClicks(keyboard.keys["a"], "abc@")
    assert keyboard.text() == "abc"
    assert refusals == ["osk.not_allowed"]
    assert keyboard.status.text() == translate("osk.not_allowed", "fr")
    QTest.keyClicks(keyboard.keys["a"], "defghijklmnop")
    assert len(keyboard.text()) == 12
    assert refusals[-1] == "osk.too_long"
    QTest.keyClick(keyboard.keys["a"], Qt.Key.Key_Backspace)
    assert keyboard.text() == "abcdefghijk"


def test_keys_are_two_centimetres_at_the_configured_dpi(keyboard: OnScreenKeyboard) -> None:
    dpi = 160.0
    target = round(dpi * MIN_TARGET_MM / MM_PER_INCH)
    keyboard.fit_to(Fit(width=1080, height=1920, target_px=target))
    keyboard.resize(1600, 1200)
    QApplication.processEvents()
    for button in keyboard.keys.values():
        assert button.width() >= target, button.objectName()
        assert button.height() >= target, button.objectName()


def test_without_speak_keys_only_an_entry_is_announced(qtbot: QtBot) -> None:
    widget = OnScreenKeyboard(language="nl", speak_keys=False)
    qtbot.addWidget(widget)
    said: list[str] = []
    widget.announce.connect(said.append)
    widget.press("j")
    widget.press(ERASE)
    assert said == [translate("osk.say.entered", "nl"), translate("osk.say.erased", "nl")]
    assert "j" not in " ".join(said)

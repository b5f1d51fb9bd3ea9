"""Without the touchscreen: the journey's first steps by keys only (QTest key events)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kiosk.session import SessionState as S
from tests.ui.conftest import UiRig


def _key(ui: UiRig, key: Qt.Key) -> None:
    target = QApplication.focusWidget() or ui.window
    QTest.keyClick(target, key)


def test_keys_alone_choose_a_language_go_back_and_cancel(ui: UiRig) -> None:
    ui.window.activateWindow()
    assert ui.state() is S.ATTRACT
    assert QApplication.focusWidget() is ui.button("start")
    _key(ui, Qt.Key.Key_Return)
    ui.wait_for(S.LANGUAGE)
    assert QApplication.focusWidget() is ui.button("lang_fr")  # never Cancel first
    _key(ui, Qt.Key.Key_Right)
    assert QApplication.focusWidget() is ui.button("lang_nl")
    _key(ui, Qt.Key.Key_Left)
    _key(ui, Qt.Key.Key_Left)  # wraps round to the last button: Cancel
    assert QApplication.focusWidget() is ui.button("cancel")
    _key(ui, Qt.Key.Key_Right)
    _key(ui, Qt.Key.Key_Right)
    _key(ui, Qt.Key.Key_Enter)
    ui.wait_for(S.INSERT_CARD)
    assert ui.controller.view.language == "nl"
    _key(ui, Qt.Key.Key_Escape)  # Back
    ui.wait_for(S.LANGUAGE)
    _key(ui, Qt.Key.Key_Escape)  # no Back here: Cancel
    ui.wait_for(S.ATTRACT)


def test_focus_is_visible_by_a_ring_of_its_own_colour(ui: UiRig) -> None:
    sheet = ui.window.styleSheet()
    assert "QPushButton:focus" in sheet
    focus_rule = sheet.split("QPushButton:focus", 1)[1].split("}", 1)[0]
    assert "6px solid" in focus_rule

"""Without the touchscreen: arrows move the focus, Enter presses, Escape goes back or cancels.

Installed on the kiosk window as an event filter. Screens that read keys themselves (the PIN
screen: digits, Backspace, Enter, Escape) get them first, since they hold the focus.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from ui.screens.base import Screen

NEXT = (Qt.Key.Key_Right, Qt.Key.Key_Down)
PREVIOUS = (Qt.Key.Key_Left, Qt.Key.Key_Up)
PRESS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
BACK = (Qt.Key.Key_Escape, Qt.Key.Key_Back, Qt.Key.Key_Backspace)
TYPED = (Qt.Key.Key_Space, Qt.Key.Key_Backspace)
"""Keys a text entry reads itself (`ui.onscreen_keyboard`: the dynamic property `reads_text`)."""


def reads_text(widget: QWidget | None) -> bool:
    """True when `widget` is, or is inside, a widget that takes typed text."""
    while widget is not None:
        if widget.property("reads_text"):
            return True
        widget = widget.parentWidget()
    return False


class KeyboardNavigation(QObject):
    def __init__(self, window: QWidget, *, screen: Callable[[], Screen]) -> None:
        super().__init__(window)
        self._window = window
        self._screen = screen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is not QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        screen = self._screen()
        focus = QApplication.focusWidget()
        if focus is not None and focus.window() is not self._window:
            return False
        if focus is screen:
            return False  # the screen reads its own keys (the PIN pad)
        if focus is not None and not screen.isAncestorOf(focus):
            return False  # e.g. the staff login over the screen
        key = event.key()
        if key in TYPED and reads_text(focus):
            return False  # a space or an erasure typed on the on-screen keyboard
        if key in NEXT or key in PREVIOUS:
            buttons = [
                b
                for b in screen.findChildren(QPushButton)
                if b.isEnabled()
                and b.isVisibleTo(screen)
                and b.focusPolicy() != Qt.FocusPolicy.NoFocus
            ]
            if not buttons:
                return False
            index = buttons.index(focus) if focus in buttons else -1
            step = 1 if key in NEXT else -1
            buttons[(index + step) % len(buttons)].setFocus(Qt.FocusReason.TabFocusReason)
            return True
        if key in PRESS and isinstance(focus, QPushButton) and focus.isEnabled():
            focus.click()
            return True
        if key in BACK:
            for button in (screen.back_button, screen.cancel_button):
                if button is not None and button.isVisibleTo(screen) and button.isEnabled():
                    button.click()
                    return True
        return False

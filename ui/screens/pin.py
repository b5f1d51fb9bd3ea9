from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import big_button, label, set_role, set_text

DOT = "\u25cf"
KEY_W = 290
"""Wide enough for "Bevestigen" and "Bestätigen" at the button text size."""
KEY_H = 150
PAD_SPACING = 20
PAD_WIDTH = 3 * KEY_W + 2 * PAD_SPACING


class PinScreen(Screen):
    """On-screen PIN pad; shows one dot per digit typed, never the digits."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.tries = label("tries", parent=self)
        self.tries.setWordWrap(False)
        self.body.addStretch(1)
        # the dots sit right above the pad, the pad low on the screen (within reach when seated)
        column = QVBoxLayout()
        column.setSpacing(24)
        column.addWidget(self.tries, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.dots = label("dots", parent=self)
        self.dots.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dots.setFixedSize(PAD_WIDTH, 120)
        column.addWidget(self.dots, alignment=Qt.AlignmentFlag.AlignHCenter)
        grid = QGridLayout()
        grid.setSpacing(PAD_SPACING)
        self.digits = {}
        for i, digit in enumerate("123456789"):
            button = self._key(f"pin_{digit}", partial(controller.pin_digit, digit))
            button.setText(digit)
            grid.addWidget(button, i // 3, i % 3)
            self.digits[digit] = button
        self.erase = self._key("pin_erase", controller.pin_erase)
        set_role(self.erase, "secondary")
        zero = self._key("pin_0", partial(controller.pin_digit, "0"))
        zero.setText("0")
        self.digits["0"] = zero
        self.ok = self._key("pin_ok", controller.pin_submit)
        set_role(self.ok, "")
        grid.addWidget(self.erase, 3, 0)
        grid.addWidget(zero, 3, 1)
        grid.addWidget(self.ok, 3, 2)
        pad = QWidget(self)
        pad.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        pad.setFixedWidth(PAD_WIDTH)
        column.addWidget(pad, alignment=Qt.AlignmentFlag.AlignHCenter)
        hint = QHBoxLayout()
        hint.setSpacing(24)
        self.privacy_picture = Pictogram(Kind.HAND, 120, parent=self)
        self.privacy_picture.setFixedSize(120, 120)
        self.privacy = label("muted", parent=self)
        hint.addWidget(self.privacy_picture)
        hint.addWidget(self.privacy, stretch=1)
        hint_box = QWidget(self)
        hint_box.setLayout(hint)
        hint.setContentsMargins(0, 8, 0, 0)
        hint_box.setFixedWidth(PAD_WIDTH)
        self.hint_box = hint_box
        column.addWidget(hint_box, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.body.addLayout(column)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def render_body(self, view: JourneyView) -> None:
        if view.tries_left is None:
            self.tries.clear()
            self.tries.hide()
        else:
            self.tries.setText(self.t("pin.tries_left", tries=view.tries_left))
            self.tries.show()
        self.dots.setText(DOT * view.pin_dots)
        self.dots.setAccessibleName(self.t("pin.dots", count=view.pin_dots))
        for digit, button in self.digits.items():
            button.setAccessibleName(self.t("pin.digit", digit=digit))
        set_text(self.erase, self.t("pin.erase"))
        set_text(self.ok, self.t("pin.ok"))
        self.ok.setEnabled(view.pin_ready)
        self.privacy.setText(self.t("pin.privacy"))
        self.privacy.setAccessibleName(self.privacy.text())
        # the box is as high as the wrapped hint (the layout does not ask the label itself)
        text_width = PAD_WIDTH - self.privacy_picture.width() - 24
        self.hint_box.setMinimumHeight(self.privacy.heightForWidth(text_width) + 8)

    def _key(self, name: str, on_click: Callable[[], None]) -> QPushButton:
        button = big_button(name, on_click, parent=self)
        button.setMinimumSize(max(button.minimumWidth(), KEY_W), max(button.minimumHeight(), KEY_H))
        set_role(button, "key")
        return button

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        key = event.key()
        if len(text) == 1 and text.isdigit():
            self.controller.pin_digit(text)
        elif key == Qt.Key.Key_Backspace:
            self.controller.pin_erase()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.controller.pin_submit()
        elif key == Qt.Key.Key_Escape:
            self.controller.cancel()
        else:
            super().keyPressEvent(event)

    def first_focus(self) -> QWidget | None:
        return self

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_text

DOT = "\u25cf"


class PinScreen(Screen):
    """On-screen PIN pad; shows one dot per digit typed, never the digits."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.tries = label(parent=self)
        self.dots = label("dots", parent=self)
        self.dots.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.tries)
        self.body.addWidget(self.dots)
        grid = QGridLayout()
        self.digits = {}
        for i, digit in enumerate("123456789"):
            button = big_button(f"pin_{digit}", partial(controller.pin_digit, digit), parent=self)
            button.setText(digit)
            grid.addWidget(button, i // 3, i % 3)
            self.digits[digit] = button
        self.erase = big_button("pin_erase", controller.pin_erase, parent=self)
        zero = big_button("pin_0", partial(controller.pin_digit, "0"), parent=self)
        zero.setText("0")
        self.digits["0"] = zero
        self.ok = big_button("pin_ok", controller.pin_submit, parent=self)
        grid.addWidget(self.erase, 3, 0)
        grid.addWidget(zero, 3, 1)
        grid.addWidget(self.ok, 3, 2)
        self.body.addLayout(grid)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def render_body(self, view: JourneyView) -> None:
        if view.tries_left is None:
            self.tries.clear()
        else:
            self.tries.setText(self.t("pin.tries_left", tries=view.tries_left))
        self.dots.setText(DOT * view.pin_dots)
        self.dots.setAccessibleName(self.t("pin.dots", count=view.pin_dots))
        for digit, button in self.digits.items():
            button.setAccessibleName(self.t("pin.digit", digit=digit))
        set_text(self.erase, self.t("pin.erase"))
        set_text(self.ok, self.t("pin.ok"))
        self.ok.setEnabled(view.pin_ready)

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

"""The PIN typed on the reader: a pictogram of the reader's keypad, the tries left, the hint.

No digit keys: the kiosk takes no PIN on its screen when the reader has a pinpad.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.pictograms import Kind
from ui.screens.base import Screen
from ui.screens.messages import add_pictogram
from ui.theme import label

PICTOGRAM_PX = 440


class PinpadScreen(Screen):
    """ "Type your PIN on the reader": the reader's own keypad takes it, then its OK key."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.picture = add_pictogram(self, Kind.PINPAD, PICTOGRAM_PX)
        self.tries = label("lead", parent=self)
        self.tries.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = label("muted", parent=self)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.tries)
        self.body.addWidget(self.hint)

    def fit_body(self, fit: Fit) -> None:
        """A smaller drawing on a short screen, so the words keep their room."""
        self.picture.setMinimumSize(fit.control(160), fit.control(160))

    def render_body(self, view: JourneyView) -> None:
        if view.tries_left is None:
            self.tries.clear()
            self.tries.hide()
        else:
            self.tries.setText(self.t("pin.tries_left", tries=view.tries_left))
            self.tries.show()
        self.hint.setText(self.t("pinpad.hint"))
        self.hint.setAccessibleName(self.hint.text())

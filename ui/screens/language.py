from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.layout import Fit
from ui.theme import big_button, line_px, set_role, set_text


class LanguageScreen(Screen):
    """One button per language, each named in its own language."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.body.addStretch(1)
        grid = QGridLayout()
        grid.setSpacing(32)
        self.buttons = {}
        for i, code in enumerate(controller.settings.languages):
            button = big_button(
                f"lang_{code}", partial(controller.choose_language, code), parent=self
            )
            set_text(button, translate("language.name", code))
            set_role(button, "language")
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[code] = button
        self.body.addLayout(grid)
        self.body.addStretch(2)

    def fit_body(self, fit: Fit) -> None:
        for button in self.buttons.values():
            button.setMinimumHeight(max(2 * fit.control(120), line_px(52) + 2 * (6 + 8)))

    def render_body(self, view: JourneyView) -> None:
        for code, button in self.buttons.items():
            button.setAccessibleDescription(translate("language.prompt", code))

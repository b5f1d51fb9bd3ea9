from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.screens.base import Screen
from ui.speech import add_audio_button
from ui.theme import big_button, line_px, set_role, set_text


class LanguageScreen(Screen):
    """One button per language, each named in its own language."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.body.addStretch(1)
        grid = QGridLayout()
        grid.setSpacing(32)
        self.buttons = {}
        for code in controller.settings.languages:
            button = big_button(
                f"lang_{code}", partial(controller.choose_language, code), parent=self
            )
            set_text(button, translate("language.name", code))
            set_role(button, "language")
            self.buttons[code] = button
        self.grid = grid
        self._columns = 0
        self._place(2)
        self.body.addLayout(grid)
        self.body.addStretch(2)
        self.body.addWidget(add_audio_button(self))

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.buttons.values():
            self.grid.removeWidget(button)
        for i, button in enumerate(self.buttons.values()):
            self.grid.addWidget(button, i // columns, i % columns)

    def fit_body(self, fit: Fit) -> None:
        for code, button in self.buttons.items():
            set_text(button, translate("language.name", code))  # its width at the new text size
            high = fit.control(120) if fit.short else 2 * fit.control(120)
            button.setMinimumHeight(max(high, line_px(52) + 2 * (6 + 8)))
        widest = max((b.minimumWidth() for b in self.buttons.values()), default=0)
        two = 2 * widest + self.grid.spacing() <= self.inner_width()
        self._place(2 if two else 1)

    def render_body(self, view: JourneyView) -> None:
        for code, button in self.buttons.items():
            button.setAccessibleDescription(translate("language.prompt", code))

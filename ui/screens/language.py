from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout, QWidget

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.speech import add_audio_button
from ui.theme import big_button, set_text


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
            button.setMinimumHeight(max(button.minimumHeight() * 2, 240))
            button.setStyleSheet("font-size: 52px;")
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[code] = button
        self.body.addLayout(grid)
        self.body.addStretch(2)
        self.body.addWidget(add_audio_button(self))

    def render_body(self, view: JourneyView) -> None:
        for code, button in self.buttons.items():
            button.setAccessibleDescription(translate("language.prompt", code))

from __future__ import annotations

from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_text


class AttractScreen(Screen):
    """Bilingual welcome; any touch starts a session."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.commune = label(parent=self)
        self.second = label(parent=self)
        self.start = big_button("start", controller.touch, parent=self)
        self.start.setMinimumHeight(self.start.minimumHeight() * 2)
        self.body.addWidget(self.commune)
        self.body.addWidget(self.second)
        self.body.addStretch(1)
        self.body.addWidget(self.start)

    def render_body(self, view: JourneyView) -> None:
        self.commune.setText(self.t("attract.title", commune=view.commune_name))
        # French and Dutch with equal prominence, whatever the last resident chose.
        other = "nl" if self.language != "nl" else "fr"
        self.second.setText(self.t_in(other, view.prompt_key))
        set_text(self.start, self.t("attract.start"))
        self.start.setEnabled(view.prompt_key == "attract.prompt")

    def t_in(self, lang: str, key: str) -> str:
        saved, self.language = self.language, lang
        try:
            return self.t(key)
        finally:
            self.language = saved

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.controller.touch()
        super().mousePressEvent(event)

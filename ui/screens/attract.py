from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import action_button, label, set_text


class AttractScreen(Screen):
    """Bilingual welcome; any touch starts a session."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        # both prompts (the resident's language and the other of FR/NL) with equal prominence
        self.second = label("title", parent=self)
        self.layout_.insertWidget(1, self.second)
        self.picture = Pictogram(Kind.TOWN_HALL, 440, parent=self)
        self.commune = label("hero", parent=self)
        self.commune.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card_hint = Pictogram(Kind.CARD_IN, 260, parent=self)
        self.body.addStretch(1)
        self.body.addWidget(self.picture, stretch=3, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.body.addWidget(self.commune)
        self.body.addStretch(1)
        self.body.addWidget(self.card_hint, stretch=2, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.body.addStretch(1)
        self.start = action_button("start", controller.touch, parent=self)
        self.start.setMinimumHeight(self.start.minimumHeight() * 2)
        self.start.setStyleSheet("font-size: 56px;")
        self.body.addWidget(self.start)

    def render_body(self, view: JourneyView) -> None:
        self.commune.setText(self.t("attract.title", commune=view.commune_name))
        # every commune language with equal prominence (FR and NL in Brussels)
        others = [code for code in view.commune_languages if code != self.language]
        if not view.commune_languages:
            others = ["nl" if self.language != "nl" else "fr"]
        self.second.setText("\n".join(self.t_in(code, view.prompt_key) for code in others))
        self.second.setVisible(bool(others))
        self.card_hint.setVisible(len(others) < 2)  # room for a third language's prompt
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

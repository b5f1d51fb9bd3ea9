from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController, JourneyView
from ui.layout import WIDE_FROM_PX, Fit
from ui.pictograms import Kind, Pictogram
from ui.screens.base import ACTION_CHROME_PX, Screen, action_height
from ui.speech import add_audio_button
from ui.theme import action_button, label, line_px, scaled_px, set_text

START_FONT_PX = 56
DENSE_PROMPT_PX = 44
"""The prompts' size on a short screen when three languages or more share it (all alike)."""
HERO_SHORT_PX = 56


class AttractScreen(Screen):
    """Bilingual welcome; any touch starts a session."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        # both prompts (the resident's language and the other of FR/NL) with equal prominence
        self.second = label("title", parent=self)
        self.content.insertWidget(1, self.second)
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
        self._start_height = self.start.minimumHeight()
        self._hint_room = True
        self._dense: bool | None = None
        self.body.addWidget(self.start)
        self.body.addWidget(add_audio_button(self))

    def fit_body(self, fit: Fit) -> None:
        # the start button twice an action's height on a portrait screen, one on short ones
        self._start_height = round(action_height(fit) * (1 if fit.short else 2))
        self._dense = None  # the prompts' size measured again at this size
        hero = f"font-size: {scaled_px(HERO_SHORT_PX, fit.text_scale)}px;" if fit.short else ""
        self.commune.setStyleSheet(hero)
        self.start.setMinimumHeight(self._start_height)
        # the main pictogram shows the way on its own on a short screen or in large text
        self._hint_room = not fit.short and fit.text_scale == 1.0
        self.card_hint.setVisible(self._hint_room)

    def render_body(self, view: JourneyView) -> None:
        self.commune.setText(self.t("attract.title", commune=view.commune_name))
        # every commune language with equal prominence (FR and NL in Brussels)
        others = [code for code in view.commune_languages if code != self.language]
        if not view.commune_languages:
            others = ["nl" if self.language != "nl" else "fr"]
        self.second.setText("\n".join(self.t_in(code, view.prompt_key) for code in others))
        self.second.setVisible(bool(others))
        self._densify(len(others) >= 2)
        # room for a third language's prompt, and only where the screen leaves it
        self.card_hint.setVisible(len(others) < 2 and self._hint_room)
        set_text(self.start, self.t("attract.start"), max_width=self.inner_width())
        lines = self.start.text().count("\n") + 1
        self.start.setMinimumHeight(
            max(self._start_height, lines * line_px(START_FONT_PX) + ACTION_CHROME_PX)
        )
        self.start.setEnabled(view.prompt_key == "attract.prompt")

    def _densify(self, dense: bool) -> None:
        """On a short screen in normal text, three prompts or more all a size smaller (equal
        prominence kept); the town hall gives them its room but on a wide screen. Large text
        scrolls instead."""
        dense = dense and self.fit.short and self.fit.text_scale == 1.0
        self.picture.setVisible(not dense or self.fit.width >= WIDE_FROM_PX)
        if dense is self._dense:
            return
        self._dense = dense
        rule = f"font-size: {DENSE_PROMPT_PX}px;" if dense else ""
        for prompt in (self.prompt, self.second):
            prompt.setStyleSheet(rule)

    def t_in(self, lang: str, key: str) -> str:
        saved, self.language = self.language, lang
        try:
            return self.t(key)
        finally:
            self.language = saved

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.controller.touch()
        super().mousePressEvent(event)

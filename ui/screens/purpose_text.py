"""The typed purpose: a hint and the on-screen keyboard; OK gives the text to the journey.

Entered from "Other purpose…" on the purpose step. The keyboard takes only the characters a
printed purpose may hold (`kiosk.flows.purpose_text.free_purpose_char`), at most
`FREE_PURPOSE_MAX`; a text the journey refuses comes back as the screen's notice. Back returns
to the list. Coming back from the summary, the keyboard holds the text typed before.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.flows.purpose_text import FREE_PURPOSE_MAX, free_purpose_char
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.onscreen_keyboard import OnScreenKeyboard
from ui.screens.base import Screen
from ui.theme import label


class PurposeTextScreen(Screen):
    """What the certificates are for, typed on the on-screen keyboard."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.hint = label("muted", parent=self)
        self.body.addWidget(self.hint)
        self.keyboard = OnScreenKeyboard(
            language=controller.view.language,
            max_length=FREE_PURPOSE_MAX,
            allowed=free_purpose_char,
            speak_keys=True,  # a purpose is not personal data
            parent=self,
        )
        self.keyboard.submitted.connect(controller.give_purpose_text)
        self.keyboard.text_changed.connect(lambda _text: controller.extend_time())
        self.body.addWidget(self.keyboard)
        self.body.addStretch(1)

    def fit_body(self, fit: Fit) -> None:
        """The hint only where there is room (it is spoken in the audio mode anyway)."""
        self.keyboard.fit_to(fit)
        self.hint.setVisible(not fit.short)

    def render_body(self, view: JourneyView) -> None:
        if not self.isVisible():  # entering the step: the text given before, if any
            self.keyboard.set_language(view.language)
            self.keyboard.set_text(view.purpose_text)
        self.keyboard.set_language(view.language)
        self.hint.setText(self.t("purpose_text.hint"))

"""The e-mail address: a hint and the on-screen keyboard; OK hands it to the journey.

Entered from "Also by e-mail" on the documents' screen (`kiosk.flows.email`). The keyboard takes
only what an address holds (`kiosk.flows.email.email_char`), at most `EMAIL_MAX` characters, and in
the audio mode says "character entered" rather than the character: an address is personal data.
An address the journey refuses comes back as the screen's notice. Back returns to the documents.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.flows.email import EMAIL_MAX, email_char
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.onscreen_keyboard import OnScreenKeyboard
from ui.screens.base import Screen
from ui.theme import label

EMAIL_PUNCTUATION = ".-_+@"
"""What an address holds besides letters and digits, left of the space bar."""


class EmailScreen(Screen):
    """Where the sealed PDFs should go, typed on the on-screen keyboard."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, back=True, parent=parent)
        self.hint = label("muted", parent=self)
        self.body.addWidget(self.hint)
        self.keyboard = OnScreenKeyboard(
            language=controller.view.language,
            max_length=EMAIL_MAX,
            allowed=email_char,
            speak_keys=False,
            punctuation=EMAIL_PUNCTUATION,
            parent=self,
        )
        self.keyboard.submitted.connect(controller.give_email)
        self.keyboard.text_changed.connect(lambda _text: controller.extend_time())
        self.body.addWidget(self.keyboard)
        self.body.addStretch(1)

    def fit_body(self, fit: Fit) -> None:
        self.keyboard.fit_to(fit)
        self.hint.setVisible(not fit.short)

    def render_body(self, view: JourneyView) -> None:
        if not self.isVisible():  # entering the step: an empty keyboard, nothing kept
            self.keyboard.clear()
        self.keyboard.set_language(view.language)
        self.hint.setText(self.t("email.hint"))

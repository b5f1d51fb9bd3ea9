"""The purpose step: one large button per purpose; "not stated" is always the last one."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.flows.purpose import purpose_key
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_role, set_text


class PurposeScreen(Screen):
    """What the certificates are for, picked from the kiosk's short list (no typing)."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.hint = label("lead", parent=self)
        self.body.addWidget(self.hint)
        self.buttons: dict[str, QPushButton] = {}
        for code in controller.settings.purposes:
            button = big_button(
                f"purpose_{code}", partial(controller.choose_purpose, code), parent=self
            )
            set_role(button, "choice")
            self.body.addWidget(button)
            self.buttons[code] = button
        self.body.addStretch(1)

    def render_body(self, view: JourneyView) -> None:
        self.hint.setText(self.t("purpose.hint"))
        for code, button in self.buttons.items():
            set_text(button, self.t(purpose_key(code)))

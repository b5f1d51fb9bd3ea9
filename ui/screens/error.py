from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kiosk.journey import KEY_GENERIC, JourneyController, JourneyView
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import action_button, label


class ErrorScreen(Screen):
    """What went wrong, the claim reference when money is involved, retry when it makes sense."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.picture = Pictogram(Kind.WARNING, 320, parent=self)
        self.message = label("lead", parent=self)
        self.claim = label("alert", parent=self)
        self.claim.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addStretch(1)
        self.body.addWidget(self.picture, stretch=2, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.body.addWidget(self.message)
        self.body.addWidget(self.claim)
        self.body.addStretch(2)
        self.retry = action_button("error_retry", controller.retry, parent=self)
        self.dismiss = action_button(
            "error_dismiss", controller.cancel, parent=self, role="secondary"
        )
        self.footer.addWidget(self.retry)
        self.footer.addWidget(self.dismiss)

    def render_body(self, view: JourneyView) -> None:
        self.message.setText(self.t(view.error_key or KEY_GENERIC, **dict(view.error_params)))
        self.message.setAccessibleName(self.message.text())
        if view.claim_code:
            self.claim.setText(self.t("error.claim_label", claim=view.claim_code))
            self.claim.show()
        else:
            self.claim.hide()
        self.action_text(self.retry, self.t("error.retry"))
        self.retry.setVisible(view.can_retry)
        self.action_text(self.dismiss, self.t("error.dismiss"))

"""OUT_OF_SERVICE: the kiosk waits for staff; residents are told staff have been called.

Staff leave this screen through the staff login (`ui.staff_door`), which acknowledges the alerts
(`JourneyController.staff_acknowledge`) once a maintenance code is accepted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import label


class OutOfServiceScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.picture = Pictogram(Kind.WARNING, 320, parent=self)
        self.message = label("lead", parent=self)
        self.details = label("muted", parent=self)
        self.body.addStretch(1)
        self.body.addWidget(self.picture, stretch=2, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.body.addWidget(self.message)
        self.body.addStretch(1)
        self.body.addWidget(self.details)

    def render_body(self, view: JourneyView) -> None:
        languages = view.commune_languages or (view.language,)  # every commune language
        self.message.setText(
            "\n\n".join(translate("out_of_service.message", code) for code in languages)
        )
        self.message.setAccessibleName(self.message.text())
        self.prompt.setText("\n".join(translate(view.prompt_key, code) for code in languages))
        self.prompt.setAccessibleName(self.prompt.text())
        reasons = [self.t(key) for key in dict.fromkeys(view.alert_keys)]
        self.details.setText("\n".join(reasons))
        self.details.setVisible(bool(reasons))

    def first_focus(self) -> QWidget | None:
        return None

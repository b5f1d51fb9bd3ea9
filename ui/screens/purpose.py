"""The purpose step: one large button per purpose; "other" (typed) and "not stated" come last."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.flows.purpose import purpose_key
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.screens.base import Screen
from ui.theme import BODY_PX, big_button, label, line_px, set_role, set_text


class PurposeScreen(Screen):
    """What the certificates are for, picked from the kiosk's short list; "other" leads to the
    on-screen keyboard (`ui.screens.purpose_text`)."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.hint = label("lead", parent=self)
        self.body.addWidget(self.hint)
        self.buttons: dict[str, QPushButton] = {}
        self.grid = QGridLayout()
        for code in controller.settings.purposes:
            button = big_button(
                f"purpose_{code}", partial(controller.choose_purpose, code), parent=self
            )
            set_role(button, "choice")
            self.buttons[code] = button
        self._columns = 0
        self._place(1)
        self.body.addLayout(self.grid)
        self.body.addStretch(1)

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.buttons.values():
            self.grid.removeWidget(button)
        for i, button in enumerate(self.buttons.values()):
            self.grid.addWidget(button, i // columns, i % columns)

    def fit_body(self, fit: Fit) -> None:
        """Side by side on a short wide screen; each button its lines of text high, focus border
        too (a text wider than its column is broken between words)."""
        self._place(2 if fit.short and fit.wide else 1)
        self.grid.setSpacing(12 if fit.short else 20)

    def _column_width(self) -> int:
        inner = self.inner_width()
        return inner if self._columns == 1 else (inner - self.grid.spacing()) // 2

    def render_body(self, view: JourneyView) -> None:
        self.hint.setText(self.t("purpose.hint"))
        for code, button in self.buttons.items():
            set_text(button, self.t(purpose_key(code)), max_width=self._column_width())
            lines = button.text().count("\n") + 1
            least = lines * line_px(BODY_PX) + 2 * (6 + 8) + 12
            button.setMinimumHeight(max(self.fit.control(112), least))

"""Screens that only tell the resident what is happening or what to do next."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from kiosk.i18n import format_price
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_text


class InsertCardScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.body.addStretch(1)


class WaitScreen(Screen):
    """READING, VERIFYING and REVERSING: the kiosk works, the resident waits."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.body.addStretch(1)


class PaymentScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.amount = label("claim", parent=self)
        self.status = label("notice", parent=self)
        self.body.addWidget(self.amount)
        self.body.addWidget(self.status)
        self.body.addStretch(1)

    def render_body(self, view: JourneyView) -> None:
        self.amount.setText(
            self.t("summary.total", total=format_price(view.total_cents, view.language))
        )
        key = view.payment_prompt_key or "payment.status.insert_card"
        self.status.setText(self.t(key))
        self.status.setAccessibleName(self.status.text())


class IssuingScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.step = label(parent=self)
        self.body.addWidget(self.bar)
        self.body.addWidget(self.step)
        self.body.addStretch(1)

    def render_body(self, view: JourneyView) -> None:
        self.bar.setValue(round(view.progress * 100))
        total = len(view.selected)
        done = min(total, len(view.issued))
        self.step.setText(self.t("issuing.progress", done=max(done, 1), total=total))
        self.bar.setAccessibleName(self.step.text())


class TakeDocumentsScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.body.addStretch(1)
        self.done = big_button("take_done", controller.documents_taken, parent=self)
        self.body.addWidget(self.done)

    def render_body(self, view: JourneyView) -> None:
        set_text(self.done, self.t("take_documents.done"))


class RemoveCardScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.body.addStretch(1)

    def render_body(self, view: JourneyView) -> None:
        alert = view.prompt_key == "remove_card.alert"
        self.prompt.setObjectName("alert" if alert else "title")
        self.prompt.style().unpolish(self.prompt)
        self.prompt.style().polish(self.prompt)

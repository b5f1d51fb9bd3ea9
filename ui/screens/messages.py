"""Screens that only tell the resident what is happening or what to do next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QProgressBar, QVBoxLayout, QWidget

from kiosk.i18n import format_price
from kiosk.journey import JourneyController, JourneyView
from ui.pictograms import Kind, Pictogram
from ui.screens.base import Screen
from ui.theme import action_button, label

PICTOGRAM_PX = 520


def add_pictogram(screen: Screen, kind: Kind, size: int = PICTOGRAM_PX) -> Pictogram:
    """A large pictogram centred in the free space of the screen's body."""
    picture = Pictogram(kind, size, parent=screen)
    screen.body.addStretch(1)
    screen.body.addWidget(picture, stretch=4, alignment=Qt.AlignmentFlag.AlignHCenter)
    screen.body.addStretch(1)
    return picture


def panel(parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("panel")
    box = QVBoxLayout(frame)
    box.setContentsMargins(40, 32, 40, 32)
    box.setSpacing(16)
    return frame, box


class InsertCardScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.picture = add_pictogram(self, Kind.CARD_IN, 640)


class WaitScreen(Screen):
    """READING, VERIFYING and REVERSING: the kiosk works, the resident waits."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.picture = add_pictogram(self, Kind.WAIT, 420)


class PaymentScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.picture = add_pictogram(self, Kind.TERMINAL, 480)
        frame, box = panel(self)
        self.amount = label("claim", parent=frame)
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = label("notice", parent=frame)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.amount)
        box.addWidget(self.status)
        self.body.addWidget(frame)

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
        self.picture = add_pictogram(self, Kind.PRINTER, 480)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.step = label("lead", parent=self)
        self.step.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.bar)
        self.body.addWidget(self.step)

    def render_body(self, view: JourneyView) -> None:
        self.bar.setValue(round(view.progress * 100))
        self.picture.set_progress(view.progress)
        total = len(view.selected)
        done = min(total, len(view.issued))
        self.step.setText(self.t("issuing.progress", done=max(done, 1), total=total))
        self.bar.setAccessibleName(self.step.text())


class TakeDocumentsScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.picture = add_pictogram(self, Kind.TRAY, 560)
        self.email = action_button("take_email", controller.offer_email, parent=self)
        self.body.addWidget(self.email)
        self.done = action_button("take_done", controller.documents_taken, parent=self)
        self.body.addWidget(self.done)

    def render_body(self, view: JourneyView) -> None:
        self.action_text(self.done, self.t("take_documents.done"))
        self.action_text(self.email, self.t("take_documents.email"))
        self.email.setVisible(view.email_offered)  # the sealed PDFs by e-mail too
        # the card first (as at a cash machine), then the documents
        self.done.setEnabled(not view.card_present)
        self.picture.kind = Kind.CARD_OUT if view.card_present else Kind.TRAY
        self.picture.update()


class RemoveCardScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, parent=parent)
        self.picture = add_pictogram(self, Kind.CARD_OUT, 640)
        self._alert: bool | None = None

    def render_body(self, view: JourneyView) -> None:
        alert = view.prompt_key == "remove_card.alert"
        if alert is self._alert:
            return
        self._alert = alert
        self.prompt.setObjectName("alert" if alert else "title")
        self.prompt.style().unpolish(self.prompt)
        self.prompt.style().polish(self.prompt)

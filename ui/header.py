"""The band at the top of every screen: the commune's name and where the resident is in the journey.

The step is derived here, in the UI, from the session state alone: the core knows nothing of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.flows.pinpad import PINPAD
from kiosk.i18n import translate
from kiosk.journey import JourneyView
from kiosk.session import SessionState
from ui.layout import Fit
from ui.pictograms import Kind, Pictogram
from ui.theme import ACCENT, BACKGROUND, ON_ACCENT, SURFACE_LINE, TEXT, color, label

S = SessionState

STEP_KEYS: tuple[str, ...] = (
    "common.step_name.language",
    "common.step_name.card",
    "common.step_name.pin",
    "common.step_name.documents",
    "common.step_name.payment",
    "common.step_name.done",
)

STEP_OF_STATE: Mapping[SessionState, int] = MappingProxyType(
    {
        S.LANGUAGE: 1,
        S.INSERT_CARD: 2,
        S.READING: 2,
        S.PIN: 3,
        PINPAD: 3,
        S.VERIFYING: 3,
        S.CHOOSE_DOCUMENTS: 4,
        S.SUMMARY: 4,
        S.PAYMENT: 5,
        S.ISSUING: 5,
        S.REVERSING: 5,
        S.TAKE_DOCUMENTS: 6,
        S.REMOVE_CARD: 6,
    }
)
"""1-based step of each state; ATTRACT, ERROR and OUT_OF_SERVICE show no step."""


STEP_SHARE = 0.4
"""The most of the band's width the step label takes before it wraps."""


def step_of(state: SessionState) -> int | None:
    return STEP_OF_STATE.get(state)


class StepDots(QWidget):
    """One numbered disc per step: done and current filled, the current one ringed."""

    DISC = 44
    GAP = 22

    def __init__(self, total: int, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.total = total
        self.current = 0
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(self.total * self.DISC + (self.total - 1) * self.GAP + 8, self.DISC + 8)

    def set_current(self, step: int) -> None:
        if step != self.current:
            self.current = step
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(self.font())
            font.setPixelSize(24)
            font.setBold(True)
            p.setFont(font)
            r = self.DISC / 2
            y = self.height() / 2
            p.setPen(QPen(color(SURFACE_LINE), 6))
            first = 4 + r
            last = first + (self.total - 1) * (self.DISC + self.GAP)
            p.drawLine(QPointF(first, y), QPointF(last, y))
            for i in range(self.total):
                step = i + 1
                x = first + i * (self.DISC + self.GAP)
                done = step <= self.current
                p.setPen(QPen(color(TEXT if step == self.current else SURFACE_LINE), 4))
                p.setBrush(color(ACCENT) if done else color(BACKGROUND))
                p.drawEllipse(QPointF(x, y), r - 2, r - 2)
                p.setPen(color(ON_ACCENT if done else TEXT))
                p.drawText(
                    QRectF(x - r, y - r, self.DISC, self.DISC),
                    int(Qt.AlignmentFlag.AlignCenter),
                    str(step),
                )
        finally:
            p.end()


class Header(QWidget):
    """Commune name on the left; "Step 2 of 6 · Identity card" and the step discs on the right."""

    def __init__(self, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        self.layout_ = row
        self._base_height = 150
        self._fit: Fit | None = None
        row.setContentsMargins(40, 20, 40, 20)
        row.setSpacing(20)
        self.emblem = Pictogram(Kind.TOWN_HALL, 72, parent=self)
        self.emblem.setFixedSize(72, 72)
        self.commune = label("commune", parent=self)  # wraps: "Ottignies-Louvain-la-Neuve"
        row.addWidget(self.emblem)
        row.addWidget(self.commune, stretch=1)
        right = QVBoxLayout()
        right.setSpacing(8)
        self.step = label("step", parent=self)
        # one line when it fits in 40 % of the band, wrapped otherwise (large text, 1280 px)
        self.step.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.dots = StepDots(len(STEP_KEYS), parent=self)
        right.addWidget(self.step)
        right.addWidget(self.dots, alignment=Qt.AlignmentFlag.AlignRight)
        row.addLayout(right)
        self.setMinimumHeight(150)
        self._key: tuple[str, str, int | None] | None = None

    def fit_to(self, fit: Fit) -> None:
        """A lower band on a short screen; the commune name wraps on any."""
        margin = 12 if fit.short else 20
        self.layout_.setContentsMargins(40, margin, 40, margin)
        self._base_height = 120 if fit.short else 150
        self.dots.setVisible(not fit.short and self.step.isVisibleTo(self))
        self._fit = fit
        self._size_step()
        self._grow()

    def _size_step(self) -> None:
        width = self._fit.width if self._fit is not None else self.width()
        text = self.step.text()
        self.step.ensurePolished()
        need = max(
            (self.step.fontMetrics().horizontalAdvance(t) for t in text.split("\n")), default=0
        )
        self.step.setFixedWidth(max(1, min(need + 4, round(width * STEP_SHARE))))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Grow to the wrapped commune name (a header never clips it)."""
        super().resizeEvent(event)
        self._grow()

    def _grow(self) -> None:
        width = self.commune.width()
        margins = self.layout_.contentsMargins()
        chrome = margins.top() + margins.bottom()
        need = self.commune.heightForWidth(width) + chrome if width > 0 else 0
        if self.step.isVisibleTo(self):
            step = self.step.heightForWidth(self.step.width()) + chrome
            if self.dots.isVisibleTo(self):
                step += self.dots.height() + 8
            need = max(need, step)
        height = max(self._base_height, need)
        if height != self.minimumHeight():
            self.setMinimumHeight(height)

    def show_view(self, view: JourneyView) -> None:
        step = step_of(view.state)
        key = (view.commune_name, view.language, step)
        if key == self._key:
            return
        self._key = key
        self.commune.setText(view.commune_name)
        self.commune.setAccessibleName(view.commune_name)
        if step is None:
            self.step.hide()
            self.dots.hide()
            return
        total = len(STEP_KEYS)
        text = "{} \u00b7 {}".format(
            translate("common.step", view.language, step=step, total=total),
            translate(STEP_KEYS[step - 1], view.language),
        )
        self.step.setText(text)
        self._size_step()
        self.step.setAccessibleName(text)
        self.dots.set_current(step)
        self.step.show()
        self.dots.setVisible(self._fit is None or not self._fit.short)

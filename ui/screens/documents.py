from __future__ import annotations

from functools import partial

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from kiosk.i18n import format_price, translate
from kiosk.journey import JourneyController, JourneyView
from printing.documents import CATALOGUE
from ui.screens.base import Screen
from ui.theme import (
    ACCENT,
    FOCUS,
    MUTED,
    ON_ACCENT,
    SURFACE,
    SURFACE_LINE,
    TEXT,
    action_button,
    big_button,
    color,
    label,
    min_target_px,
    set_role,
    set_text,
)

CARD_HEIGHT = 156


def description_key(document_type: str) -> str | None:
    """The one-line description of a document type, as its catalogue module declares it."""
    kind = CATALOGUE.get(document_type)
    return kind.description_key if kind is not None else None


class DocumentCard(QPushButton):
    """A checkable document tile: check mark, title, one-line description and price, painted."""

    def __init__(self, button_name: str, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(button_name)
        self.title = ""
        self.description = ""
        self.price = ""

    def sizeHint(self) -> QSize:
        return QSize(min_target_px(), CARD_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return QSize(min_target_px(), CARD_HEIGHT)

    def set_content(self, title: str, description: str, price: str) -> None:
        if (title, description, price) != (self.title, self.description, self.price):
            self.title, self.description, self.price = title, description, price
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        checked = self.isChecked()
        ink = color(ON_ACCENT if checked else TEXT if self.isEnabled() else MUTED)  # greyed
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            border = color(FOCUS if self.hasFocus() else (TEXT if checked else SURFACE_LINE))
            width = 6 if checked or self.hasFocus() else 4
            p.setPen(QPen(border, width))
            p.setBrush(color(ACCENT if checked else SURFACE))
            half = width / 2
            p.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 22, 22)
            self._paint_check(p, checked)
            self._paint_texts(p, checked, ink)
        finally:
            p.end()

    def _paint_check(self, p: QPainter, checked: bool) -> None:
        cy = self.height() / 2
        centre = QPointF(32 + 30, cy)
        if checked:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color(ON_ACCENT))
            p.drawEllipse(centre, 30, 30)
            tick = QPainterPath(QPointF(centre.x() - 14, cy + 1))
            tick.lineTo(centre.x() - 4, cy + 12)
            tick.lineTo(centre.x() + 15, cy - 11)
            pen = QPen(color(ACCENT), 7)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(tick)
        else:
            p.setPen(QPen(color(TEXT), 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, 28, 28)

    def _paint_texts(self, p: QPainter, checked: bool, ink: QColor) -> None:
        price_font = QFont(self.font())
        price_font.setPixelSize(40)
        price_font.setBold(True)
        title_font = QFont(self.font())
        title_font.setPixelSize(38)
        title_font.setBold(True)
        desc_font = QFont(self.font())
        desc_font.setPixelSize(32)
        desc_font.setBold(False)
        title_m = QFontMetrics(title_font)
        desc_m = QFontMetrics(price_font)
        left = 32 + 60 + 28
        right = self.width() - 36
        text_w = max(0.0, right - left)
        top = (self.height() - title_m.height() - 8 - desc_m.height()) / 2
        # first line: the title across the card; second line: description, price on the right
        p.setPen(ink)
        p.setFont(title_font)
        p.drawText(
            QRectF(left, top, text_w, title_m.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            title_m.elidedText(self.title, Qt.TextElideMode.ElideRight, int(text_w)),
        )
        line2 = QRectF(left, top + title_m.height() + 8, text_w, desc_m.height())
        p.setFont(price_font)
        price_w = QFontMetrics(price_font).horizontalAdvance(self.price) + 8
        p.drawText(
            line2, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), self.price
        )
        p.setFont(desc_font)
        p.setPen(color(ON_ACCENT if checked else MUTED))
        desc_w = int(max(0.0, text_w - price_w - 24))
        p.drawText(
            line2.adjusted(0, 0, -(text_w - desc_w), 0),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            QFontMetrics(desc_font).elidedText(
                self.description, Qt.TextElideMode.ElideRight, desc_w
            ),
        )


class DocumentsScreen(Screen):
    """The catalogue with prices, and the language of the documents (default: screen language)."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.documents: dict[str, QPushButton] = {}
        self.cards: dict[str, DocumentCard] = {}
        for document_type in controller.settings.catalogue.prices_cents:
            card = DocumentCard(f"doc_{document_type}", parent=self)
            card.setCheckable(True)
            card.setAutoDefault(False)
            card.setMinimumSize(min_target_px(), max(min_target_px(), CARD_HEIGHT))
            card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            toggle = partial(controller.toggle_document, document_type)
            card.clicked.connect(lambda _checked=False, toggle=toggle: toggle())
            self.body.addWidget(card)
            self.documents[document_type] = card
            self.cards[document_type] = card
        self.body.addStretch(1)
        rule = QFrame(self)
        rule.setObjectName("rule")
        rule.setFixedHeight(3)
        self.body.addWidget(rule)
        self.language_label = label("section", parent=self)
        self.body.addWidget(self.language_label)
        row = QHBoxLayout()
        row.setSpacing(20)
        self.languages: dict[str, QPushButton] = {}
        for code in controller.settings.catalogue.languages:
            button = big_button(
                f"doclang_{code}",
                partial(controller.set_document_language, code),
                parent=self,
                checkable=True,
            )
            button.setMinimumHeight(max(button.minimumHeight(), 112))
            set_role(button, "choice")
            set_text(button, translate("language.name", code))
            row.addWidget(button)
            self.languages[code] = button
        self.body.addLayout(row)
        self.confirm = action_button("docs_confirm", controller.confirm_documents, parent=self)
        self.footer.addWidget(self.confirm, stretch=2)

    def render_body(self, view: JourneyView) -> None:
        for offered in view.offered:
            card = self.cards[offered.document_type]
            price = (
                format_price(offered.price_cents, view.language)
                if offered.price_cents
                else self.t("documents.free")
            )
            title = self.t(offered.title_key)
            key = description_key(offered.document_type)
            description = self.t(key) if key else ""
            if not offered.available and offered.reason_key:  # greyed, with its reason
                description = self.t(offered.reason_key)
            card.setEnabled(offered.available)
            set_text(card, f"{title} \u2014 {price}")
            card.setAccessibleDescription(description)
            card.set_content(title, description, price)
            card.setChecked(offered.document_type in view.selected)
        self.language_label.setText(self.t("documents.language"))
        for code, button in self.languages.items():
            button.setChecked(code == view.document_language)
        set_text(self.confirm, self.t("documents.confirm"))
        self.confirm.setEnabled(bool(view.selected))

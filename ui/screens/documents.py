from __future__ import annotations

import math
from functools import partial

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from kiosk.i18n import format_price, translate
from kiosk.journey import JourneyController, JourneyView
from printing.documents import CATALOGUE
from ui.layout import Fit
from ui.screens.base import Screen, reflow, row_need
from ui.theme import (
    ACCENT,
    BODY_PX,
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
    line_px,
    min_target_px,
    set_role,
    set_text,
    text_scale,
)

CARD_HEIGHT = 156
TITLE_PX = 38
DESCRIPTION_PX = 32
PRICE_PX = 40
TEXT_LEFT = 32 + 60 + 28
"""Right of the check mark."""
TEXT_RIGHT_MARGIN = 24
PADDING_Y = 24
SHORT_PADDING_Y = 14
"""Above and below a card's text on a short screen (1280 x 1024, 1920 x 1080)."""
LINE_GAP = 8
MIN_TEXT_WIDTH = 160
"""Below this a card is not laid out yet: its text is not measured."""


def description_key(document_type: str) -> str | None:
    """The one-line description of a document type, as its catalogue module declares it."""
    kind = CATALOGUE.get(document_type)
    return kind.description_key if kind is not None else None


def fit_longest_word(font: QFont, text: str, width: int) -> None:
    """Make `font` smaller, only if needed, so that the longest word of `text` fits `width`:
    a word is never cut ("Haushaltszusammensetzung" in large text on a portrait screen)."""
    words = text.split()
    if not words or width < MIN_TEXT_WIDTH:
        return  # not laid out yet
    metrics = QFontMetrics(font)
    longest = max(metrics.horizontalAdvance(word) for word in words)
    if longest > width:
        font.setPixelSize(max(DESCRIPTION_PX, math.floor(font.pixelSize() * width / longest)))


class DocumentCard(QPushButton):
    """A checkable document tile: check mark, title, one-line description and price, painted."""

    def __init__(self, button_name: str, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(button_name)
        self.title = ""
        self.description = ""
        self.price = ""
        self.least_height = CARD_HEIGHT
        self.padding_y = PADDING_Y
        self._growing = False

    def sizeHint(self) -> QSize:
        return QSize(min_target_px(), self.least_height)

    def minimumSizeHint(self) -> QSize:
        return QSize(min_target_px(), self.least_height)

    def set_content(self, title: str, description: str, price: str) -> None:
        if (title, description, price) != (self.title, self.description, self.price):
            self.title, self.description, self.price = title, description, price
            self._grow()
            self.update()

    def set_least_height(self, height: int, *, padding_y: int = PADDING_Y) -> None:
        self.least_height = height
        self.padding_y = padding_y
        self._grow()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._grow()

    def _grow(self) -> None:
        """As high as the wrapped title and description need at the card's width."""
        if self._growing:
            return  # the resize that setMinimumHeight makes
        need = max(self.least_height, self.need_height(self.width()))
        if need != self.minimumHeight():
            self._growing = True
            try:
                self.setMinimumHeight(need)
            finally:
                self._growing = False
            self.updateGeometry()

    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        scale = text_scale()
        fonts = []
        for px, bold in ((TITLE_PX, True), (DESCRIPTION_PX, False), (PRICE_PX, True)):
            font = QFont(self.font())
            font.setPixelSize(round(px * scale))
            font.setBold(bold)
            fonts.append(font)
        return fonts[0], fonts[1], fonts[2]

    def _boxes(self, width: int) -> tuple[QRectF, QRectF, QRectF]:
        """Where the title, the description and the price go at `width` (top-aligned)."""
        title_font, desc_font, price_font = self._fonts()
        left, right = TEXT_LEFT, width - TEXT_RIGHT_MARGIN
        text_w = max(1, right - left)
        fit_longest_word(title_font, self.title, text_w)
        price_w = QFontMetrics(price_font).horizontalAdvance(self.price) + 8
        desc_w = max(1, text_w - price_w - 24)
        wrap = int(Qt.TextFlag.TextWordWrap)
        title = QFontMetrics(title_font).boundingRect(0, 0, text_w, 10_000, wrap, self.title)
        desc = QFontMetrics(desc_font).boundingRect(0, 0, desc_w, 10_000, wrap, self.description)
        price_h = QFontMetrics(price_font).height()
        # the title across the card; under it the description, the price on its right
        title_box = QRectF(left, self.padding_y, title.width(), title.height())
        second = title_box.bottom() + LINE_GAP
        price_box = QRectF(right - price_w, second, price_w, price_h)
        desc_box = QRectF(left, second, desc.width(), max(desc.height(), price_h))
        return title_box, desc_box, price_box

    def need_height(self, width: int) -> int:
        if width < TEXT_LEFT + TEXT_RIGHT_MARGIN + MIN_TEXT_WIDTH:
            return self.least_height  # not laid out yet
        _title, desc, _price = self._boxes(width)
        return math.ceil(desc.bottom() + self.padding_y)

    def clipped_text(self) -> str | None:
        """What the layout check asks: does the whole title and description show?"""
        title, desc, price = self._boxes(self.width())
        if math.ceil(desc.bottom() + self.padding_y) > self.height():
            return f"{self.title!r} needs {math.ceil(desc.bottom() + self.padding_y)}px high"
        if title.right() > self.width() - TEXT_RIGHT_MARGIN + 1 or desc.right() > price.left():
            return f"{self.title!r}: a word is wider than the card"
        return None

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
        cy = min(self.height() / 2, self.padding_y + 40.0)
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
        title_font, desc_font, price_font = self._fonts()
        fit_longest_word(
            title_font, self.title, max(1, self.width() - TEXT_RIGHT_MARGIN - TEXT_LEFT)
        )
        title, desc, price = self._boxes(self.width())
        # centred in a card taller than its text (a row of the grid beside a longer card)
        shift = max(0.0, (self.height() - (desc.bottom() + self.padding_y)) / 2)
        wrap_left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(
            Qt.TextFlag.TextWordWrap
        )
        p.setPen(ink)
        p.setFont(title_font)
        p.drawText(title.translated(0, shift), wrap_left, self.title)
        p.setFont(price_font)
        p.drawText(
            price.translated(0, shift),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
            self.price,
        )
        p.setFont(desc_font)
        p.setPen(color(ON_ACCENT if checked else MUTED))
        p.drawText(desc.translated(0, shift), wrap_left, self.description)


class DocumentsScreen(Screen):
    """The catalogue with prices, and the language of the documents (default: screen language)."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.documents: dict[str, QPushButton] = {}
        self.cards: dict[str, DocumentCard] = {}
        self.card_grid = QGridLayout()  # one column on a portrait screen, two on a short one
        self.card_grid.setSpacing(20)
        self.body.addLayout(self.card_grid)
        self._columns = 0
        for document_type in controller.settings.catalogue.prices_cents:
            card = DocumentCard(f"doc_{document_type}", parent=self)
            card.setCheckable(True)
            card.setAutoDefault(False)
            card.setMinimumSize(min_target_px(), max(min_target_px(), CARD_HEIGHT))
            card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
            toggle = partial(controller.toggle_document, document_type)
            card.clicked.connect(lambda _checked=False, toggle=toggle: toggle())
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
        self.language_row = row
        row.setSpacing(20)
        self.languages: dict[str, QPushButton] = {}
        for code in controller.settings.catalogue.languages:
            button = big_button(
                f"doclang_{code}",
                partial(controller.set_document_language, code),
                parent=self,
                checkable=True,
            )
            set_role(button, "choice")
            set_text(button, translate("language.name", code))
            row.addWidget(button)
            self.languages[code] = button
        self.body.addLayout(row)
        # the resident's earlier documents (`_place_my_requests`)
        self.my_requests = big_button("my_requests", controller.open_my_requests, parent=self)
        set_role(self.my_requests, "secondary")
        self.my_requests.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._place_cards(1)
        self.confirm = action_button("docs_confirm", controller.confirm_documents, parent=self)
        self.footer.addWidget(self.confirm, stretch=2)
        self._place_my_requests(self.fit)

    def _place_cards(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards.values():
            self.card_grid.removeWidget(card)
        for i, card in enumerate(self.cards.values()):
            self.card_grid.addWidget(card, i // columns, i % columns)

    def _place_my_requests(self, fit: Fit) -> None:
        """In the footer on a short screen in normal text (no height to spare, room across),
        else in the grid after the cards (a free cell beside the last card on a wide screen)."""
        self.card_grid.removeWidget(self.my_requests)
        self.footer.removeWidget(self.my_requests)
        if fit.short and fit.text_scale == 1.0:
            self.footer.insertWidget(self.footer.indexOf(self.confirm), self.my_requests, 1)
            return
        after, columns = len(self.cards), max(1, self._columns)
        self.card_grid.addWidget(self.my_requests, after // columns, after % columns)

    def fit_body(self, fit: Fit) -> None:
        self._place_cards(fit.columns)
        self._place_my_requests(fit)
        self.card_grid.setSpacing(12 if fit.short else 20)
        for card in self.cards.values():
            padding = SHORT_PADDING_Y if fit.short else PADDING_Y
            card.set_least_height(fit.control(CARD_HEIGHT), padding_y=padding)
        for code, button in self.languages.items():
            set_text(button, translate("language.name", code))  # its width at the new text size
            button.setMinimumHeight(max(fit.control(112), line_px(BODY_PX) + 2 * (4 + 8)))
        self._place_language_label()

    def _label_my_requests(self, view: JourneyView) -> None:
        """Its words on as many lines as its cell's width needs, and as high as those lines."""
        columns = 1 if self.footer.indexOf(self.my_requests) >= 0 else max(1, self._columns)
        cell = (self.inner_width() - self.card_grid.spacing() * (columns - 1)) // columns
        set_text(self.my_requests, self.t("documents.my_requests"), max_width=cell - 48)
        lines = self.my_requests.text().count("\n") + 1
        least = max(self.fit.target_px, lines * line_px(BODY_PX) + 2 * (6 + 16))
        self.my_requests.setMinimumHeight(least)
        self.my_requests.setVisible(view.requests_offered)

    def _place_language_label(self) -> None:
        """On a short screen the "language of the documents" label stands left of its buttons
        when they all fit the width; the buttons go one above the other when even they do not."""
        width = self.inner_width()
        self.language_row.removeWidget(self.language_label)
        self.body.removeWidget(self.language_label)
        self.language_label.setWordWrap(False)
        self.language_label.ensurePolished()
        metrics = self.language_label.fontMetrics()
        text = self.language_label.text()
        label_w = metrics.horizontalAdvance(text)
        longest = max((metrics.horizontalAdvance(w) for w in text.split()), default=0)
        buttons = row_need(self.language_row) + self.language_row.spacing() + 8
        if self.fit.short and buttons + label_w <= width:
            self.language_row.insertWidget(0, self.language_label, stretch=1)
        elif self.fit.short and buttons + longest <= width:  # beside, on two lines or more
            self.language_row.insertWidget(0, self.language_label, stretch=1)
            self.language_label.setWordWrap(True)
        else:
            self.body.insertWidget(self.body.indexOf(self.language_row), self.language_label)
            self.language_label.setWordWrap(True)
        reflow(self.language_row, width)

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
        self.action_text(self.confirm, self.t("documents.confirm"))
        self._label_my_requests(view)
        self._place_language_label()
        self.confirm.setEnabled(bool(view.selected))

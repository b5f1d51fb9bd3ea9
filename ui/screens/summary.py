from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QWidget

from kiosk.flows.purpose import stated
from kiosk.i18n import format_price, translate
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.screens.base import Screen
from ui.theme import action_button, label

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _rule(parent: QWidget, name: str, height: int) -> QFrame:
    rule = QFrame(parent)
    rule.setObjectName(name)
    rule.setFixedHeight(height)
    return rule


class SummaryScreen(Screen):
    """The order as a table: one row per document with its price, the total, the language."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        table = QFrame(self)
        table.setObjectName("panel")
        grid = QGridLayout(table)
        grid.setContentsMargins(40, 28, 40, 32)
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(18)
        grid.setColumnStretch(0, 1)
        self.head_document = label("cell_head", parent=table)
        self.head_price = label("cell_head", parent=table)
        self.head_price.setAlignment(RIGHT)
        grid.addWidget(self.head_document, 0, 0)
        grid.addWidget(self.head_price, 0, 1)
        grid.addWidget(_rule(table, "rule", 3), 1, 0, 1, 2)
        # one row per catalogue entry, filled in the order of the selection; unused rows hidden
        self.rows: list[tuple[QLabel, QLabel]] = []
        for _document in controller.settings.catalogue.prices_cents:
            title = label("cell", parent=table)
            title.setMinimumHeight(title.sizeHint().height())
            title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.MinimumExpanding)
            price = label("cell", parent=table)
            price.setAlignment(RIGHT)
            price.setWordWrap(False)
            self.rows.append((title, price))
        self.grid = grid
        self._stacked: bool | None = None
        last = 2 + 2 * len(self.rows)
        grid.addWidget(_rule(table, "rule_strong", 5), last, 0, 1, 2)
        self.total_label = label("total_label", parent=table)
        self.total_value = label("total_value", parent=table)
        self.total_value.setWordWrap(False)
        self.total_value.setAlignment(RIGHT)
        self._total_row = last + 1
        self._place_rows(stacked=False)
        self.body.addWidget(table)
        self.document_language = label("lead", parent=self)
        self.body.addWidget(self.document_language)
        self.purpose = label("lead", parent=self)  # the purpose step's choice, when one was given
        self.body.addWidget(self.purpose)
        # the total as one sentence, for speech (the table above shows it visually)
        self.total = label("claim", parent=self)
        self.total.hide()
        self.body.addStretch(1)
        self.confirm = action_button("summary_confirm", controller.confirm_summary, parent=self)
        # the primary action on its own full-width row above Back and Cancel: "5,00 € bezahlen"
        # beside them would not fit a 1080 px wide screen
        self.layout_.insertWidget(self.layout_.indexOf(self.footer), self.confirm)

    def _place_rows(self, *, stacked: bool) -> None:
        """A document and its price on one line, or (large text) the price under the title."""
        if stacked == self._stacked:
            return
        self._stacked = stacked
        for i, (title, price) in enumerate(self.rows):
            self.grid.removeWidget(title)
            self.grid.removeWidget(price)
            row = 2 + 2 * i
            if stacked:
                self.grid.addWidget(title, row, 0, 1, 2)
                self.grid.addWidget(price, row + 1, 0, 1, 2, RIGHT)
            else:
                self.grid.addWidget(title, row, 0)
                self.grid.addWidget(price, row, 1, RIGHT)
        self.grid.removeWidget(self.total_label)
        self.grid.removeWidget(self.total_value)
        if stacked:
            self.grid.addWidget(self.total_label, self._total_row, 0, 1, 2, LEFT)
            self.grid.addWidget(self.total_value, self._total_row + 1, 0, 1, 2, RIGHT)
        else:
            self.grid.addWidget(self.total_label, self._total_row, 0, LEFT)
            self.grid.addWidget(self.total_value, self._total_row, 1, RIGHT)

    def fit_body(self, fit: Fit) -> None:
        self._place_rows(stacked=fit.text_scale > 1.0)
        # a wide screen has room for the primary action beside Back and Cancel
        self.footer.removeWidget(self.confirm)
        self.layout_.removeWidget(self.confirm)
        if fit.columns > 1:
            self.footer.addWidget(self.confirm, stretch=2)
        else:
            self.layout_.insertWidget(self.layout_.indexOf(self.footer), self.confirm)

    def _fit_words(self) -> None:
        """A title whose longest word is wider than the table is set smaller, never cut."""
        margins = self.grid.contentsMargins()
        width = self.inner_width() - margins.left() - margins.right() - 2 * 3
        for title, _price in self.rows:
            title.setStyleSheet("")
            title.ensurePolished()
            words = title.text().split()
            longest = max((title.fontMetrics().horizontalAdvance(w) for w in words), default=0)
            if longest > width:
                size = math.floor(title.fontInfo().pixelSize() * width / longest)
                title.setStyleSheet(f"font-size: {size}px;")

    def render_body(self, view: JourneyView) -> None:
        prices = {o.document_type: o for o in view.offered}
        chosen = [prices[t] for t in view.selected if t in prices]
        for i, (title, price) in enumerate(self.rows):
            if i < len(chosen):
                offered = chosen[i]
                title.setText(self.t(offered.title_key))
                price.setText(
                    format_price(offered.price_cents, view.language)
                    if offered.price_cents
                    else self.t("documents.free")
                )
                title.show()
                price.show()
            else:
                title.hide()
                price.hide()
        self.head_document.setText(self.t("summary.column_document"))
        self.head_price.setText(self.t("summary.column_price"))
        name = translate("language.name", view.document_language)
        self.document_language.setText(self.t("summary.language", language=name))
        purpose = stated(view.purpose, view.purpose_text, view.language)
        self.purpose.setText(self.t("summary.purpose", purpose=purpose) if purpose else "")
        self.purpose.setVisible(bool(purpose))
        total = format_price(view.total_cents, view.language)
        self.total.setText(self.t("summary.total", total=total))
        self.total_label.setText(self.t("summary.total_heading"))
        self.total_label.setAccessibleName(self.total.text())
        self.total_value.setText(total)
        self._fit_words()
        key = "summary.pay" if view.total_cents else "summary.print"
        self.action_text(self.confirm, self.t(key, total=total))

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.i18n import format_price, translate
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_text


class SummaryScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, back=True, parent=parent)
        self.lines = label(parent=self)
        self.document_language = label(parent=self)
        self.total = label("claim", parent=self)
        self.body.addWidget(self.lines)
        self.body.addWidget(self.document_language)
        self.body.addWidget(self.total)
        self.body.addStretch(1)
        self.confirm = big_button("summary_confirm", controller.confirm_summary, parent=self)
        self.footer.addWidget(self.confirm)

    def render_body(self, view: JourneyView) -> None:
        prices = {o.document_type: o for o in view.offered}
        lines = [
            f"{self.t(prices[t].title_key)} \u2014 {format_price(prices[t].price_cents, view.language)}"
            for t in view.selected
        ]
        self.lines.setText("\n".join(lines))
        name = translate("language.name", view.document_language)
        self.document_language.setText(self.t("summary.language", language=name))
        total = format_price(view.total_cents, view.language)
        self.total.setText(self.t("summary.total", total=total))
        key = "summary.pay" if view.total_cents else "summary.print"
        set_text(self.confirm, self.t(key, total=total))

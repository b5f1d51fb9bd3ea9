from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.i18n import format_price, translate
from kiosk.journey import JourneyController, JourneyView
from ui.screens.base import Screen
from ui.theme import big_button, label, set_text


class DocumentsScreen(Screen):
    """The catalogue with prices, and the language of the documents (default: screen language)."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
        self.documents: dict[str, QPushButton] = {}
        for document_type in controller.settings.catalogue.prices_cents:
            button = big_button(
                f"doc_{document_type}",
                partial(controller.toggle_document, document_type),
                parent=self,
                checkable=True,
            )
            self.body.addWidget(button)
            self.documents[document_type] = button
        self.language_label = label(parent=self)
        self.body.addWidget(self.language_label)
        row = QHBoxLayout()
        self.languages: dict[str, QPushButton] = {}
        for code in controller.settings.catalogue.languages:
            button = big_button(
                f"doclang_{code}",
                partial(controller.set_document_language, code),
                parent=self,
                checkable=True,
            )
            set_text(button, translate("language.name", code))
            row.addWidget(button)
            self.languages[code] = button
        self.body.addLayout(row)
        self.confirm = big_button("docs_confirm", controller.confirm_documents, parent=self)
        self.footer.addWidget(self.confirm)

    def render_body(self, view: JourneyView) -> None:
        for offered in view.offered:
            button = self.documents[offered.document_type]
            price = (
                format_price(offered.price_cents, view.language)
                if offered.price_cents
                else self.t("documents.free")
            )
            set_text(button, f"{self.t(offered.title_key)} \u2014 {price}")
            button.setChecked(offered.document_type in view.selected)
        self.language_label.setText(self.t("documents.language"))
        for code, button in self.languages.items():
            button.setChecked(code == view.document_language)
        set_text(self.confirm, self.t("documents.confirm"))
        self.confirm.setEnabled(bool(view.selected))

"""What every screen shares: a title, the prompt, a notice line and optional cancel/back."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from ui.layout import PORTRAIT_FIT, Fit, content_area
from ui.pictograms import Pictogram
from ui.theme import ACTION_HEIGHT_PX, action_button, label, line_px, set_text

ACTION_FONT_PX = 40
ACTION_CHROME_PX = 2 * (6 + 8)
"""An action button's focus ring and vertical padding."""


def action_height(fit: Fit) -> int:
    """A footer or main action's height: 2 cm at least, and its line of text at any scale."""
    return max(fit.control(ACTION_HEIGHT_PX), line_px(ACTION_FONT_PX) + ACTION_CHROME_PX)


def row_need(row: QBoxLayout) -> int:
    """The width the shown widgets of `row` need side by side."""
    widths = []
    for i in range(row.count()):
        item = row.itemAt(i)
        widget = item.widget() if item is not None else None
        if widget is not None and not widget.isHidden():
            widths.append(max(widget.minimumWidth(), widget.minimumSizeHint().width()))
    return sum(widths) + row.spacing() * max(0, len(widths) - 1)


def reflow(row: QBoxLayout, width: int) -> None:
    """Lay `row` out left to right when its widgets fit `width`, else one above the other."""
    direction = (
        QBoxLayout.Direction.LeftToRight
        if row_need(row) <= width
        else QBoxLayout.Direction.TopToBottom
    )
    if row.direction() is not direction:
        row.setDirection(direction)


class Screen(QWidget):
    """Renders one `JourneyView`; user actions go straight to the controller."""

    def __init__(
        self,
        controller: JourneyController,
        *,
        cancellable: bool = False,
        back: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.language = controller.view.language
        self.fit = PORTRAIT_FIT
        self._view: JourneyView | None = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setSpacing(28)
        self.layout_.setContentsMargins(56, 40, 56, 48)
        self.prompt: QLabel = label("title", parent=self)
        self.notice: QLabel = label("notice", parent=self)
        self.notice.hide()
        # the prompt and body scroll when large text needs more than the screen; the footer stays
        self.content_area, self.content = content_area(parent=self)
        self.content.setSpacing(28)
        self.layout_.addWidget(self.content_area, stretch=1)
        self.content.addWidget(self.prompt)
        self.content.addWidget(self.notice)
        self.body = QVBoxLayout()
        self.body.setSpacing(24)
        self.content.addLayout(self.body, stretch=1)
        self.footer = QHBoxLayout()
        self.footer.setSpacing(24)
        self.layout_.addLayout(self.footer)
        self.back_button: QPushButton | None = None
        self.cancel_button: QPushButton | None = None
        if back:
            self.back_button = action_button("back", controller.back, parent=self, role="secondary")
            self.footer.addWidget(self.back_button)
        if cancellable:
            self.cancel_button = action_button(
                "cancel", controller.cancel, parent=self, role="secondary"
            )
            self.footer.addWidget(self.cancel_button)

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.language, **params)

    def show_view(self, view: JourneyView) -> None:
        self._view = view
        self.language = view.language
        self.prompt.setText(self.t(view.prompt_key, commune=view.commune_name))
        self.prompt.setAccessibleName(self.prompt.text())
        if view.notice_key:
            self.notice.setText(self.t(view.notice_key))
            self.notice.show()
        else:
            self.notice.hide()
        if self.back_button is not None:
            set_text(self.back_button, self.t("common.back"))
        if self.cancel_button is not None:
            set_text(self.cancel_button, self.t("common.cancel"))
        self.render_body(view)
        self.reflow_footer()

    def inner_width(self) -> int:
        """The width inside the screen's margins, less the content's scroll bar."""
        margins = self.layout_.contentsMargins()
        scroll_bar = self.content_area.verticalScrollBar().sizeHint().width()  # room kept for it
        return self.fit.width - margins.left() - margins.right() - scroll_bar

    def action_text(self, button: QPushButton, text: str) -> None:
        """An action's words, broken into lines when wider than the screen (large text), and
        the button as high as its lines."""
        set_text(button, text, max_width=self.inner_width())
        lines = button.text().count("\n") + 1
        least = max(action_height(self.fit), lines * line_px(ACTION_FONT_PX) + ACTION_CHROME_PX)
        button.setMinimumHeight(least)

    def reflow_footer(self) -> None:
        """Footer buttons side by side when their words fit the width, else one above the other."""
        reflow(self.footer, self.inner_width())

    def render_body(self, view: JourneyView) -> None:
        """Screens with more than a prompt override this."""

    def fit_to(self, fit: Fit) -> None:
        """Lay the screen out for `fit` (the window's size and text scale)."""
        self.fit = fit
        if fit.short:
            self.layout_.setContentsMargins(48, 16, 48, 20)
            self.layout_.setSpacing(14)
            self.content.setSpacing(14)
            self.body.setSpacing(14)
        else:
            self.layout_.setContentsMargins(56, 40, 56, 48)
            self.layout_.setSpacing(28)
            self.content.setSpacing(28)
            self.body.setSpacing(24)
        for button in self.findChildren(QPushButton):
            if button.property("action"):
                button.setMinimumHeight(action_height(fit))
            # 2 cm from the configured DPI, whatever the screen's own sizes ask
            button.setMinimumSize(
                max(button.minimumWidth(), fit.target_px),
                max(button.minimumHeight(), fit.target_px),
            )
        for picture in self.findChildren(Pictogram):
            portrait = picture.sizeHint().width()
            if picture.minimumWidth() == picture.maximumWidth():
                continue  # a fixed-size pictogram (beside a hint)
            # decorative: it takes what the text and buttons leave, and asks for no height (a
            # layout would otherwise count it at full size and squeeze the wrapped words)
            picture.setMinimumSize(0, 0)
            picture.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
            picture.setMaximumSize(fit.art(portrait), fit.art(portrait))
        # the content never takes the scroll bar's strip: its width (and so its wrapped height)
        # does not change when the bar comes and goes, which could otherwise flip for ever
        content = self.content_area.widget()
        if content is not None:
            content.setMaximumWidth(max(1, self.inner_width()))
        self.fit_body(fit)
        if self._view is not None:
            self.show_view(self._view)  # texts measured again at this size
        self.reflow_footer()

    def fit_body(self, fit: Fit) -> None:
        """Screens whose body changes with the screen's shape override this."""

    def first_focus(self) -> QWidget | None:
        """The widget that takes the keyboard focus when the screen appears."""
        buttons = [
            b
            for b in self.findChildren(QPushButton)
            if b.isEnabled()
            and b.isVisibleTo(self)
            and b not in (self.back_button, self.cancel_button)
        ]
        return buttons[0] if buttons else None  # never Back or Cancel

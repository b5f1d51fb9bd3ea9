"""The time-out warning: a panel floating above the screen, never part of its layout.

Shown over the content (the screen's buttons stay exactly where the resident's finger is), centred
across the window a little above the middle, with the countdown and the "more time" button.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QWidget

from kiosk.i18n import translate
from ui.theme import action_button, label, set_text

MARGIN_PX = 48


class TimeoutPanel(QFrame):
    """A child of the window outside its layout, raised above the screens while shown."""

    def __init__(self, on_extend: Callable[[], None], *, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("timeout_panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(32, 24, 32, 24)
        row.setSpacing(24)
        self.warning = label("alert", parent=self)
        self.extend = action_button("extend", on_extend, parent=self)
        self.extend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        row.addWidget(self.warning, stretch=1)
        row.addWidget(self.extend)
        self.hide()

    def show_warning(self, *, seconds: int, language: str) -> None:
        self.warning.setText(translate("timeout.warning", language, seconds=seconds))
        self.warning.setAccessibleName(self.warning.text())
        set_text(self.extend, translate("timeout.extend", language))
        self.place()
        if not self.isVisible():
            self.show()
        self.raise_()

    def place(self) -> None:
        """Centre across the window, a third of the way down; as high as the text needs."""
        parent = self.parentWidget()
        if parent is None:
            return
        width = max(0, parent.width() - 2 * MARGIN_PX)
        layout = self.layout()
        height = self.sizeHint().height()
        if layout is not None and layout.hasHeightForWidth():
            height = max(height, layout.totalHeightForWidth(width))
        height = min(height, parent.height())
        top = max(0, (parent.height() - height) // 3)
        self.setGeometry(QRect(MARGIN_PX, top, width, height))

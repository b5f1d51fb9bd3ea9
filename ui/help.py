"""On every screen, under the header: the language switch and the Help button.

Help opens a panel over the screen listing the reasons a resident may give (`HelpReason`); the
chosen one calls staff (`JourneyController.request_help`) and the panel says that staff have been
called. The kiosk stays in service and the journey goes on underneath: the panel only covers it
until the resident closes it. Out of service the row is hidden (staff are already called, and
that screen speaks every commune language).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.flows.help import KEY_HELP_CALLED, HelpReason
from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState
from ui.theme import action_button, big_button, label, set_role, set_text

S = SessionState


class ResidentTools(QWidget):
    """The language buttons (each named in its own language for speech) and Help."""

    def __init__(
        self, controller: JourneyController, *, panel: HelpPanel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.controller = controller
        self.panel = panel
        row = QHBoxLayout(self)
        row.setContentsMargins(40, 0, 40, 16)
        row.setSpacing(16)
        self.languages: dict[str, QPushButton] = {}
        for code in controller.settings.languages:
            button = big_button(
                f"switch_{code}", partial(self.switch, code), parent=self, checkable=True
            )
            set_role(button, "choice")
            set_text(button, code.upper())
            button.setAccessibleName(translate("language.name", code))
            row.addWidget(button)
            self.languages[code] = button
        row.addStretch(1)
        self.help = big_button("help", self.open_help, parent=self)
        set_role(self.help, "secondary")
        row.addWidget(self.help, stretch=2)
        self._language = ""

    def switch(self, code: str) -> None:
        if self.controller.state is S.ATTRACT:
            self.controller.touch()  # a language chosen on the welcome screen starts the session
        self.controller.choose_language(code)

    def open_help(self) -> None:
        self.controller.extend_time()
        self.panel.open_panel(self.controller.view)

    def show_view(self, view: JourneyView) -> None:
        self.setVisible(view.state is not S.OUT_OF_SERVICE)
        for code, button in self.languages.items():
            button.setChecked(code == view.language)
        key = KEY_HELP_CALLED if view.help_called else "help.button"
        set_text(self.help, translate(key, view.language))
        self.panel.show_view(view)


class HelpPanel(QFrame):
    """Over the whole window: the reasons, then "staff has been called"."""

    def __init__(self, controller: JourneyController, *, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("help_panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QFrame#help_panel { background: rgba(0, 0, 0, 200); }")
        self.controller = controller
        outer = QVBoxLayout(self)
        outer.setContentsMargins(56, 200, 56, 200)
        box = QFrame(self)
        box.setObjectName("panel")
        outer.addWidget(box)
        column = QVBoxLayout(box)
        column.setContentsMargins(40, 32, 40, 32)
        column.setSpacing(24)
        self.title = label("title", parent=box)
        self.message = label("lead", parent=box)
        column.addWidget(self.title)
        column.addWidget(self.message)
        self.reasons: dict[HelpReason, QPushButton] = {}
        for reason in HelpReason:
            button = action_button(f"help_{reason.value}", partial(self.choose, reason), parent=box)
            set_role(button, "choice")
            column.addWidget(button)
            self.reasons[reason] = button
        column.addStretch(1)
        self.close_button = action_button("help_close", self.close_panel, parent=box)
        column.addWidget(self.close_button)
        self.chosen: HelpReason | None = None
        self._window = parent
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() is QEvent.Type.Resize:
            self.setGeometry(self._window.rect())
        return False

    def open_panel(self, view: JourneyView) -> None:
        self.chosen = None
        self.setGeometry(self._window.rect())
        self.show_view(view)
        self.show()
        self.raise_()
        first = next(iter(self.reasons.values()))
        first.setFocus()

    def choose(self, reason: HelpReason) -> None:
        self.chosen = reason
        self.controller.request_help(reason.value)
        self.show_view(self.controller.view)
        self.close_button.setFocus()

    def close_panel(self) -> None:
        self.controller.extend_time()
        self.hide()

    def show_view(self, view: JourneyView) -> None:
        lang = view.language
        if view.state is S.OUT_OF_SERVICE:
            self.hide()
        called = self.chosen is not None
        self.title.setText(translate(KEY_HELP_CALLED if called else "help.title", lang))
        self.message.setText(translate("help.called_message" if called else "help.prompt", lang))
        for reason, button in self.reasons.items():
            set_text(button, translate(reason.label_key, lang))
            button.setVisible(not called)
        set_text(self.close_button, translate("help.continue" if called else "common.back", lang))

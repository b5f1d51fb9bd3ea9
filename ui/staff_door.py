"""The staff door: a deliberate gesture opens a staff login; only an accepted code acts.

The gesture is a long press (3 s) in the top-left corner of the window, then, within 10 s, one tap
in each of the other corners clockwise (top-right, bottom-right, bottom-left). A corner is a square
of the minimum touch target (2 cm). Nothing is shown while the gesture is made, and a resident who
taps a corner by chance only starts it. The login asks for the one-time maintenance code
(`kiosk.staff_auth`); an accepted code calls `on_accepted` (acknowledge the staff alerts), or
`on_exit` when staff chose to leave the kiosk screen for the system. Each attempt and each action
goes to the staff audit (`kiosk.staff_audit`) through the authenticator.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.i18n import translate
from kiosk.staff_auth import LoginResult, StaffAuthenticator
from ui.theme import action_button, big_button, label, min_target_px, set_role, set_text

LONG_PRESS_MS = 3000
SEQUENCE_MS = 10_000
ACTION_ACKNOWLEDGE = "alerts_acknowledged"
ACTION_EXIT = "exit_to_system"


class Corner(enum.Enum):
    TOP_LEFT = "top_left"
    TOP_RIGHT = "top_right"
    BOTTOM_RIGHT = "bottom_right"
    BOTTOM_LEFT = "bottom_left"


SEQUENCE = (Corner.TOP_RIGHT, Corner.BOTTOM_RIGHT, Corner.BOTTOM_LEFT)


class CodeChecker(Protocol):
    """Checks a staff code (`StaffAuthenticator`, or the maintenance mode that audits it)."""

    def login(self, code: str) -> LoginResult: ...

    def record_action(self, action: str) -> None:
        """Audit what an accepted login is about to do."""


class StaffDoor(QObject):
    """Watches presses on `window` (an application event filter) for the staff gesture."""

    def __init__(
        self,
        window: QWidget,
        *,
        on_open: Callable[[], None],
        long_press_ms: int = LONG_PRESS_MS,
        sequence_ms: int = SEQUENCE_MS,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._on_open = on_open
        self._last: tuple[QEvent.Type, int, int, int] | None = None
        self._step = -1  # -1: waiting for the long press; 0..n: taps of SEQUENCE done
        self._long = QTimer(self)
        self._long.setSingleShot(True)
        self._long.setInterval(long_press_ms)
        self._long.timeout.connect(self._armed)
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.setInterval(sequence_ms)
        self._expiry.timeout.connect(self.reset)

    @property
    def armed(self) -> bool:
        """The long press was made; the corner taps are awaited."""
        return self._step >= 0

    def reset(self) -> None:
        self._step = -1
        self._long.stop()
        self._expiry.stop()

    def corner_at(self, pos: QPoint) -> Corner | None:
        size = min_target_px()
        width, height = self._window.width(), self._window.height()
        left, top = pos.x() < size, pos.y() < size
        right, bottom = pos.x() >= width - size, pos.y() >= height - size
        if top and left:
            return Corner.TOP_LEFT
        if top and right:
            return Corner.TOP_RIGHT
        if bottom and right:
            return Corner.BOTTOM_RIGHT
        if bottom and left:
            return Corner.BOTTOM_LEFT
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            return False
        if not isinstance(event, QMouseEvent) or not self._window.isVisible():
            return False
        target = watched if isinstance(watched, QWidget) else None
        if target is None or target.window() is not self._window:
            return False
        glob = event.globalPosition().toPoint()
        seen = (kind, event.timestamp(), glob.x(), glob.y())
        if seen == self._last:
            return False  # the same press propagating from a child to its parents
        self._last = seen
        pos = self._window.mapFromGlobal(glob)
        if kind is QEvent.Type.MouseButtonPress:
            self._pressed(self.corner_at(pos))
        else:
            self._long.stop()
        return False

    def _pressed(self, corner: Corner | None) -> None:
        if self._step < 0:
            if corner is Corner.TOP_LEFT:
                self._long.start()
            return
        if corner is SEQUENCE[self._step]:
            self._step += 1
            if self._step == len(SEQUENCE):
                self.reset()
                self._on_open()
            return
        self.reset()

    def _armed(self) -> None:
        self._step = 0
        self._expiry.start()


class StaffLogin(QWidget):
    """Full-window overlay asking for the maintenance code; the code is never shown or kept."""

    def __init__(
        self,
        auth: StaffAuthenticator | CodeChecker,
        *,
        language: Callable[[], str],
        on_accepted: Callable[[], None],
        on_exit: Callable[[], None] | None = None,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("staff_login")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._auth = auth
        self._language = language
        self._on_accepted = on_accepted
        self._on_exit = on_exit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 56, 56, 56)
        layout.setSpacing(24)
        self.title = label("title", parent=self)
        self.message = label("notice", parent=self)
        self.code = QLineEdit(self)
        self.code.setObjectName("staff_code")
        self.code.setEchoMode(QLineEdit.EchoMode.Password)
        self.code.setMinimumHeight(min_target_px())
        self.code.returnPressed.connect(self.submit)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.code)
        grid = QGridLayout()
        grid.setSpacing(16)
        for index, digit in enumerate("1234567890"):
            key = big_button(f"staff_key_{digit}", self._typer(digit), parent=self)
            set_role(key, "key")
            key.setText(digit)
            position = 10 if digit == "0" else index
            grid.addWidget(key, position // 3, position % 3)
        layout.addLayout(grid, stretch=1)
        footer = QHBoxLayout()
        self.cancel = action_button("staff_cancel", self.close_login, parent=self, role="secondary")
        self.ok = action_button("staff_ok", self.submit, parent=self)
        self.exit = action_button("staff_exit", self.submit_exit, parent=self, role="secondary")
        self.exit.setVisible(on_exit is not None)
        footer.addWidget(self.cancel)
        footer.addWidget(self.exit)
        footer.addWidget(self.ok)
        layout.addLayout(footer)
        self.hide()

    def _typer(self, digit: str) -> Callable[[], None]:
        return lambda: self.code.insert(digit)

    def open_login(self) -> None:
        lang = self._language()
        self.title.setText(translate("staff.login.title", lang))
        self.code.setPlaceholderText(translate("staff.login.code", lang))
        set_text(self.ok, translate("staff.login.ok", lang))
        set_text(self.cancel, translate("common.cancel", lang))
        set_text(self.exit, translate("staff.login.exit", lang))
        self.message.hide()
        self.code.clear()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.code.setFocus()

    def close_login(self) -> None:
        self.code.clear()
        self.hide()

    def submit(self) -> None:
        self._submit(self._on_accepted, audited=ACTION_ACKNOWLEDGE)

    def submit_exit(self) -> None:
        """The code, then leave the kiosk screen (exit to the system) instead of acknowledging."""
        if self._on_exit is not None:
            self._submit(self._on_exit, audited=ACTION_EXIT)

    def _submit(self, action: Callable[[], None], *, audited: str) -> None:
        code = self.code.text()
        self.code.clear()
        result = self._auth.login(code)
        if result is LoginResult.ACCEPTED:
            self.hide()
            self._auth.record_action(audited)  # in the staff audit before it takes effect
            action()
            return
        lang = self._language()
        self.message.setText(translate(f"staff.login.{result.value}", lang))
        self.message.show()

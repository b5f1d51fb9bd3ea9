"""The kiosk window: one screen per session state in a stack, switched on `JourneyView.state`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import translate
from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator
from ui.header import Header
from ui.keyboard import KeyboardNavigation
from ui.maintenance.doors import maintenance_doors
from ui.screens.base import Screen
from ui.screens.registry import screen_classes
from ui.staff_door import StaffDoor, StaffLogin
from ui.theme import STYLESHEET, action_button, label, set_text

if TYPE_CHECKING:
    from kiosk.maintenance.wiring import MaintenanceFactory

S = SessionState

TICK_MS = 1000

log = logging.getLogger(__name__)

_ALT = Qt.KeyboardModifier.AltModifier
_CTRL = Qt.KeyboardModifier.ControlModifier
_SYSTEM_KEYS = {
    (_ALT, Qt.Key.Key_F4),  # close the window
    (_ALT, Qt.Key.Key_Tab),  # switch windows
    (_ALT, Qt.Key.Key_Backtab),
    (_CTRL | _ALT, Qt.Key.Key_Backspace),  # zap the X server (when it passes the key on)
    (_CTRL | _ALT, Qt.Key.Key_Delete),
    (_CTRL, Qt.Key.Key_Q),
    (_CTRL, Qt.Key.Key_W),
}


def is_system_key(event: QKeyEvent) -> bool:
    """A key chord that would leave the kiosk screen (the modifiers must match exactly)."""
    mods = event.modifiers() & (_ALT | _CTRL | Qt.KeyboardModifier.ShiftModifier)
    key = Qt.Key(event.key())
    if key is Qt.Key.Key_Backtab:
        mods = mods & ~Qt.KeyboardModifier.ShiftModifier
    return (mods, key) in _SYSTEM_KEYS


class SystemKeyFilter(QObject):
    """Swallows the system chords (Alt+F4, Alt+Tab, Ctrl+Alt+Backspace...) that reach the app."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        if not isinstance(event, QKeyEvent) or not is_system_key(event):
            return False
        if kind is QEvent.Type.KeyPress:
            log.info("system_key_ignored", extra={"key": int(event.key())})
        return True


class KioskWindow(QWidget):
    """Shows the controller's view; never calls a device itself."""

    def __init__(
        self,
        controller: JourneyController,
        *,
        staff: StaffAuthenticator | None = None,
        maintenance: MaintenanceFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("kiosk")
        self.setWindowTitle("Borne")
        self._locked = False
        self._system_keys = SystemKeyFilter(self)
        self.setStyleSheet(STYLESHEET)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = Header(parent=self)
        layout.addWidget(self.header)
        self.warning_bar = QWidget(self)
        bar = QHBoxLayout(self.warning_bar)
        bar.setContentsMargins(48, 24, 48, 8)
        bar.setSpacing(24)
        self.warning = label("alert", parent=self.warning_bar)
        self.extend = action_button("extend", controller.extend_time, parent=self.warning_bar)
        self.extend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        bar.addWidget(self.warning, stretch=1)
        bar.addWidget(self.extend)
        self.warning_bar.hide()
        layout.addWidget(self.warning_bar)
        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack, stretch=1)
        self.screens: dict[SessionState, Screen] = {}
        for state, cls in screen_classes().items():
            screen = cls(controller, parent=self.stack)
            screen.setObjectName(f"screen_{state.value}")
            self.stack.addWidget(screen)
            self.screens[state] = screen
        self._shown: SessionState | None = None
        self.views: list[JourneyView] = []
        controller.on_change(self.show_view)
        self.show_view(controller.view)
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(controller.tick)
        self.ticker.start()
        self._install_doors(controller, staff, maintenance)

    def _install_doors(
        self,
        controller: JourneyController,
        staff: StaffAuthenticator | None,
        maintenance: MaintenanceFactory | None = None,
    ) -> None:
        # Staff acknowledge alerts (or leave) only through the staff login, opened by the gesture.
        self.staff_auth = staff or StaffAuthenticator(
            code_hash=None, used_file=None, clock=lambda: 0
        )
        self.staff_login = StaffLogin(
            self.staff_auth,
            language=lambda: controller.view.language,
            on_accepted=controller.staff_acknowledge,
            on_exit=self.staff_exit,
            parent=self,
        )
        if maintenance is not None:  # an accepted login opens the maintenance mode
            self.staff_login.deleteLater()
            self.staff_login, self.maintenance = maintenance_doors(
                self, controller, maintenance, exit_to_system=self.staff_exit
            )
        self.staff_door = StaffDoor(self, on_open=self.staff_login.open_login)
        self.keyboard = KeyboardNavigation(self, screen=lambda: self.current_screen)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.staff_door)
            app.installEventFilter(self.keyboard)

    @property
    def current_screen(self) -> Screen:
        return self.screens[self.controller.view.state]

    def warm_up(self) -> None:
        """Lay out and polish every screen once, so the first switch during a journey is cheap."""
        for screen in self.screens.values():
            screen.show_view(self.controller.view)
            screen.ensurePolished()
            screen.adjustSize()

    def show_view(self, view: JourneyView) -> None:
        screen = self.screens[view.state]
        self.header.show_view(view)
        screen.show_view(view)
        if view.timeout_warning_s is not None:
            self.warning.setText(
                translate("timeout.warning", view.language, seconds=view.timeout_warning_s)
            )
            set_text(self.extend, translate("timeout.extend", view.language))
            self.warning_bar.show()
        else:
            self.warning_bar.hide()
        if self._shown is not view.state:
            self._shown = view.state
            self.stack.setCurrentWidget(screen)
            self.setAccessibleDescription(screen.prompt.text())
            focus = screen.first_focus()
            if focus is not None:
                focus.setFocus()

    # -- lockdown ---------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._locked

    def lock_down(self) -> None:
        """Full screen for residents: frameless, on top, no cursor, no way out but the staff door.

        Call before the window is shown (window flags apply when it is mapped).
        """
        self._locked = True
        self.setWindowFlags(
            self.windowFlags()
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.setCursor(Qt.CursorShape.BlankCursor)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setOverrideCursor(Qt.CursorShape.BlankCursor)
            app.setQuitOnLastWindowClosed(False)
            app.installEventFilter(self._system_keys)
        log.info("kiosk_locked_down")

    def release(self) -> None:
        """Lift the lockdown (staff exit, or the process stopping): the window may close again."""
        if not self._locked:
            return
        self._locked = False
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.removeEventFilter(self._system_keys)
            app.restoreOverrideCursor()
            app.setQuitOnLastWindowClosed(True)
        self.unsetCursor()

    def staff_exit(self) -> None:
        """An accepted staff code asked to leave the kiosk screen: quit the application."""
        log.info("staff_exit_to_system")
        self.release()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._locked:
            screen = self.screen().geometry()
            log.info(
                "kiosk_window_geometry",
                extra={
                    "fullscreen": self.isFullScreen(),
                    "width": event.size().width(),
                    "height": event.size().height(),
                    "screen_width": screen.width(),
                    "screen_height": screen.height(),
                },
            )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._locked:
            log.info("close_request_ignored")
            event.ignore()
            return
        super().closeEvent(event)

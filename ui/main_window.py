"""The kiosk window: one screen per session state in a stack, switched on `JourneyView.state`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator
from ui.header import Header
from ui.help import HelpPanel, ResidentTools
from ui.keyboard import KeyboardNavigation
from ui.layout import Fit, ScreenStack, screen_area, show_page
from ui.maintenance.doors import maintenance_doors
from ui.screens.base import Screen
from ui.screens.registry import screen_classes
from ui.staff_door import StaffDoor, StaffLogin
from ui.theme import STYLESHEET, min_target_px, text_scale
from ui.timeout_panel import TimeoutPanel

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
        self._fit: Fit | None = None
        self._fitted = False  # no refit before every screen exists
        self.setStyleSheet(STYLESHEET)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = Header(parent=self)
        layout.addWidget(self.header)
        self.help_panel = HelpPanel(controller, parent=self)  # over the screen when Help is pressed
        self.tools = ResidentTools(controller, panel=self.help_panel, parent=self)
        layout.addWidget(self.tools)
        self.stack = ScreenStack(self)
        self.screen_area = screen_area(self.stack, parent=self)  # the last resort of a tiny screen
        layout.addWidget(self.screen_area, stretch=1)
        self.screens: dict[SessionState, Screen] = {}
        for state, cls in screen_classes().items():
            screen = cls(controller, parent=self.stack)
            screen.setObjectName(f"screen_{state.value}")
            self.stack.addWidget(screen)
            self.screens[state] = screen
        self.warning_panel = TimeoutPanel(controller.extend_time, parent=self)
        self._fitted = True
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

    def current_page(self) -> Screen:
        """The screen shown in the stack (the controller's state, or a view shown directly)."""
        page = self.stack.currentWidget()
        assert isinstance(page, Screen)
        return page

    def warm_up(self) -> None:
        """Lay out and polish every screen once, so the first switch during a journey is cheap."""
        for screen in self.screens.values():
            screen.show_view(self.controller.view)
            screen.ensurePolished()
            screen.adjustSize()

    def show_view(self, view: JourneyView) -> None:
        screen = self.screens[view.state]
        self.header.show_view(view)
        self.tools.show_view(view)
        screen.show_view(view)
        if view.timeout_warning_s is not None:
            self.warning_panel.show_warning(seconds=view.timeout_warning_s, language=view.language)
        else:
            self.warning_panel.hide()
        if self._shown is not view.state:
            self._shown = view.state
            show_page(self.stack, screen)
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

    def refit(self) -> None:
        """Lay every screen out for the window's size, the text scale and the touch targets."""
        if not self._fitted:
            return
        fit = Fit(
            width=self.width(),
            height=self.height(),
            text_scale=text_scale(),
            target_px=min_target_px(),
            tools_px=self.tools.sizeHint().height(),
            below_px=self._below_screens(),
        )
        if fit == self._fit:
            return
        self._fit = fit
        self.header.fit_to(fit)
        for screen in self.screens.values():
            screen.fit_to(fit)
        self.warning_panel.place()

    def _below_screens(self) -> int:
        """The height the shown bars under the screen area take (the audio controls)."""
        layout = self.layout()
        if layout is None:
            return 0
        height = 0
        for index in range(layout.indexOf(self.screen_area) + 1, layout.count()):
            item = layout.itemAt(index)
            widget = item.widget() if item is not None else None
            if widget is not None and not widget.isHidden():
                height += widget.sizeHint().height()
        return height

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() is QEvent.Type.StyleChange:  # a new look: large text on or off
            self.refit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refit()
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

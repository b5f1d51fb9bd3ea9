"""Lockdown: `kiosk run` is full screen, frameless, without a cursor, and nothing but the staff door
leaves it. Checked on the window itself (offscreen), on a real bare X server (Xvfb, no window
manager: the keys and the close request go through X) and under cage, the Wayland kiosk compositor."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from tests.deploy.harness import (
    CageUnavailable,
    XInput,
    cage,
    kiosk,
    log_events,
    sim_stack,
    stop,
    wait_for,
    x_windows,
)
from tests.ui.conftest import UiRig

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _key(key: Qt.Key, modifiers: Qt.KeyboardModifier) -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, key, modifiers)


@pytest.mark.ui
def test_a_locked_window_is_frameless_without_cursor_and_refuses_to_close(ui: UiRig) -> None:
    window = ui.window
    window.lock_down()
    window.show()
    try:
        flags = window.windowFlags()
        assert flags & Qt.WindowType.FramelessWindowHint
        assert flags & Qt.WindowType.WindowStaysOnTopHint
        assert window.cursor().shape() is Qt.CursorShape.BlankCursor
        override = QApplication.overrideCursor()
        assert override is not None
        assert override.shape() is Qt.CursorShape.BlankCursor
        assert window.close() is False
        assert window.isVisible()
        app = QApplication.instance()
        assert app is not None
        for key, modifiers in (
            (Qt.Key.Key_F4, ALT),
            (Qt.Key.Key_Tab, ALT),
            (Qt.Key.Key_Backspace, CTRL | ALT),
        ):
            event = _key(key, modifiers)
            assert app.sendEvent(window, event)  # consumed by the lockdown's filter
        # ordinary keys still reach the screens (arrows move the focus, Enter presses)
        assert (
            window._system_keys.eventFilter(
                window, _key(Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)
            )
            is False
        )
    finally:
        window.release()
    assert window.cursor().shape() is not Qt.CursorShape.BlankCursor
    assert window.close() is True


@pytest.mark.ui
def test_only_an_accepted_staff_code_leaves_a_locked_kiosk(ui: UiRig) -> None:
    """The staff login's exit button needs a valid code; a wrong one changes nothing."""
    window = ui.window
    login = window.staff_login
    left: list[str] = []
    login._on_exit = lambda: left.append("exit")
    window.lock_down()
    window.show()
    try:
        login.open_login()
        assert login.exit.isVisible()
        login.code.setText("000000")
        login.exit.click()
        assert left == []
        assert login.message.isVisible()
        assert window.isVisible()
    finally:
        window.release()


@pytest.mark.slow
@pytest.mark.pcsc
@pytest.mark.cups
@pytest.mark.central
def test_kiosk_run_on_a_bare_x_server_fills_the_screen_and_ignores_alt_f4_and_close() -> None:
    from tests.deploy.harness import xvfb  # noqa: PLC0415

    with sim_stack("borne-lockdown-") as stack, xvfb(1080, 1920) as display:
        process = kiosk(["run"], stack.run_env(DISPLAY=display, QT_QPA_PLATFORM="xcb"))
        try:
            found = wait_for(
                lambda: (
                    [
                        w
                        for w in x_windows(display, "Borne")
                        if (w.x, w.y) == (0, 0) and (w.width, w.height) == (1080, 1920)
                    ]
                    or process.poll() is not None
                ),
                timeout=120,
                what="the kiosk window to be mapped over the whole screen",
            )
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            window = found[0]
            x = XInput(display)
            try:
                x.pointer_to(540, 960)
                x.chord("Alt_L", "F4")
                x.chord("Alt_L", "Tab")
                x.chord("Control_L", "Alt_L", "BackSpace")
                wait_for(
                    lambda: len(log_events(stack.var_dir, "system_key_ignored")) >= 3,
                    timeout=30,
                    what="the kiosk to receive and ignore Alt+F4, Alt+Tab, Ctrl+Alt+Backspace",
                )
                x.request_close(window.id)
                wait_for(
                    lambda: log_events(stack.var_dir, "close_request_ignored"),
                    timeout=30,
                    what="the kiosk to refuse the close request",
                )
            finally:
                x.close()
            assert process.poll() is None
            assert [w.id for w in x_windows(display, "Borne")] == [window.id]
        finally:
            code, _out, err = stop(process)
        assert code == 0, err[-3000:]


@pytest.mark.slow
@pytest.mark.pcsc
@pytest.mark.cups
@pytest.mark.central
def test_kiosk_run_under_cage_starts_full_screen() -> None:
    """cage (0.1.4) gives every window its whole output and does not acknowledge the full-screen
    state itself: the frameless kiosk window must cover the output exactly."""
    with sim_stack("borne-cage-") as stack:
        session = cage()
        try:
            wayland = session.__enter__()
        except CageUnavailable as unavailable:
            reason = str(unavailable).strip().splitlines()[-1:]
            pytest.skip(f"cage cannot start here: {reason}")
        try:
            process = kiosk(["run"], stack.run_env(QT_QPA_PLATFORM="wayland", **wayland))
            try:
                geometry = wait_for(
                    lambda: (
                        [
                            g
                            for g in log_events(stack.var_dir, "kiosk_window_geometry")
                            if (g["width"], g["height"]) == (g["screen_width"], g["screen_height"])
                        ]
                        or process.poll() is not None
                    ),
                    timeout=120,
                    what="the kiosk window to fill cage's output",
                )
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert geometry[0]["width"] > 0
            finally:
                code, _out, err = stop(process)
            assert code == 0, err[-3000:]
        finally:
            session.__exit__(None, None, None)

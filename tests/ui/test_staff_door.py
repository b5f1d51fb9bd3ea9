"""The staff door: only the deliberate gesture opens the login, only an accepted code acknowledges."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.journey import JourneyController
from kiosk.ports import StaffAlert
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator, hash_code
from tests.core.fakes import FakePorts, make_settings
from ui.bridge import QtPoster
from ui.main_window import KioskWindow

CODE = "602418"
ALERT = StaffAlert(reason="manual_review", key="out_of_service.reason.manual_review")


class DoorRig:
    def __init__(self, qtbot: QtBot, fakes: FakePorts, used: Path) -> None:
        self.qtbot = qtbot
        self.poster = QtPoster()
        counter = itertools.count(1)
        self.controller = JourneyController(
            ports=fakes.ports,
            settings=make_settings(),
            post=self.poster.post,
            clock=time.monotonic,
            ids=lambda: f"op{next(counter):08d}",
            alerts=(ALERT,),
        )
        self.auth = StaffAuthenticator(
            code_hash=hash_code(CODE), used_file=used, clock=time.monotonic
        )
        self.window = KioskWindow(self.controller, staff=self.auth)
        qtbot.addWidget(self.window)
        self.window.resize(1080, 1920)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.staff_door._long.setInterval(50)  # the 3 s long press, shortened for tests

    def press(self, pos: QPoint, *, hold: bool = False) -> None:
        target = self.window.childAt(pos) or self.window
        local = target.mapFrom(self.window, pos)
        QTest.mousePress(target, Qt.MouseButton.LeftButton, pos=local)
        if hold:
            self.qtbot.waitUntil(lambda: self.window.staff_door.armed, timeout=2000)
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, pos=local)

    def corners(self) -> dict[str, QPoint]:
        w, h = self.window.width(), self.window.height()
        return {
            "tl": QPoint(5, 5),
            "tr": QPoint(w - 5, 5),
            "br": QPoint(w - 5, h - 5),
            "bl": QPoint(5, h - 5),
        }

    def gesture(self) -> None:
        c = self.corners()
        self.press(c["tl"], hold=True)
        for name in ("tr", "br", "bl"):
            self.press(c[name])

    def type_code(self, code: str) -> None:
        login = self.window.staff_login
        for digit in code:
            key = login.findChild(QPushButton, f"staff_key_{digit}")
            assert key is not None
            QTest.mouseClick(key, Qt.MouseButton.LeftButton)
        QTest.mouseClick(login.ok, Qt.MouseButton.LeftButton)


@pytest.fixture
def door(qtbot: QtBot, fakes: FakePorts, tmp_path: Path) -> Iterator[DoorRig]:
    rig = DoorRig(qtbot, fakes, tmp_path / "used.json")
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


def test_no_hidden_button_and_no_shortcut_acknowledges(door: DoorRig, qtbot: QtBot) -> None:
    assert door.controller.state is SessionState.OUT_OF_SERVICE
    screen = door.window.current_screen
    assert screen.findChild(QPushButton, "maintenance") is None
    # where the strip was: the bottom of the screen, full width
    bottom = QPoint(door.window.width() // 2, door.window.height() - 40)
    door.press(bottom)
    QTest.keyClick(
        door.window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    qtbot.wait(50)
    assert door.controller.state is SessionState.OUT_OF_SERVICE
    assert not door.window.staff_login.isVisible()


def test_a_short_corner_tap_or_a_wrong_sequence_does_not_open(door: DoorRig) -> None:
    c = door.corners()
    for name in ("tl", "tr", "br", "bl"):
        door.press(c[name])  # taps, no long press
    assert not door.window.staff_login.isVisible()
    door.press(c["tl"], hold=True)
    door.press(c["br"])  # out of order
    door.press(c["tr"])
    door.press(c["bl"])
    assert not door.window.staff_door.armed
    assert not door.window.staff_login.isVisible()


def test_wrong_code_is_refused_and_nothing_is_acknowledged(door: DoorRig, qtbot: QtBot) -> None:
    door.gesture()
    login = door.window.staff_login
    assert login.isVisible()
    door.type_code("111111")
    assert login.isVisible()
    assert login.message.text() == "Code incorrect."
    assert login.code.text() == ""
    for _ in range(3):
        door.type_code(CODE[::-1])
    door.type_code(CODE)  # locked out after three wrong codes
    assert login.message.text().startswith("Trop de codes incorrects")
    qtbot.wait(50)
    assert door.controller.state is SessionState.OUT_OF_SERVICE


def test_accepted_code_acknowledges_once(door: DoorRig, qtbot: QtBot) -> None:
    door.gesture()
    door.type_code(CODE)
    qtbot.waitUntil(lambda: door.controller.state is SessionState.ATTRACT, timeout=5000)
    assert not door.window.staff_login.isVisible()
    assert door.controller.alerts == ()

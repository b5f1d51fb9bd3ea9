"""The maintenance mode's screens offscreen: the staff door's accepted login opens them, each
section's button reaches its service, a clerk sees no way out to the system, idle closes."""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.i18n import translate
from kiosk.journey import JourneyController
from kiosk.maintenance.parts import Journey
from kiosk.maintenance.service import MaintenanceService
from kiosk.session import SessionState
from tests.core.fakes import make_settings
from tests.maintenance.fakes import CODE, Maintenance
from ui.bridge import QtPoster
from ui.layout import misfits
from ui.main_window import KioskWindow
from ui.maintenance.login import MaintenanceLogin
from ui.maintenance.panel import SECTIONS, MaintenancePanel


class PanelRig:
    def __init__(self, qtbot: QtBot, tmp_path: Path, *, idle_s: float = 300.0) -> None:
        self.qtbot = qtbot
        self.m = Maintenance(tmp_path)
        self.poster = QtPoster()
        counter = itertools.count(1)
        fakes = self.m.rig.fakes
        self.controller = JourneyController(
            ports=fakes.ports,
            settings=make_settings(),
            post=self.poster.post,
            clock=time.monotonic,
            ids=lambda: f"op{next(counter):08d}",
        )
        self.services: list[MaintenanceService] = []

        def factory(journey: Journey) -> MaintenanceService:
            service = self.m.build(journey, clock=time.monotonic, idle_s=idle_s)
            self.services.append(service)
            return service

        self.window = KioskWindow(self.controller, maintenance=factory)
        qtbot.addWidget(self.window)
        self.window.resize(1080, 1920)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.staff_door._long.setInterval(50)
        login = self.window.staff_login
        assert isinstance(login, MaintenanceLogin)
        self.login = login
        self.panel: MaintenancePanel = self.window.maintenance

    def press(self, pos: QPoint, *, hold: bool = False) -> None:
        target = self.window.childAt(pos) or self.window
        local = target.mapFrom(self.window, pos)
        QTest.mousePress(target, Qt.MouseButton.LeftButton, pos=local)
        if hold:
            self.qtbot.waitUntil(lambda: self.window.staff_door.armed, timeout=2000)
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, pos=local)

    def gesture(self) -> None:
        w, h = self.window.width(), self.window.height()
        self.press(QPoint(5, 5), hold=True)
        for pos in (QPoint(w - 5, 5), QPoint(w - 5, h - 5), QPoint(5, h - 5)):
            self.press(pos)
        self.qtbot.waitUntil(self.login.isVisible, timeout=2000)

    def type_in(self, digits: str) -> None:
        for digit in digits:
            key = self.login.findChild(QPushButton, f"staff_key_{digit}")
            assert key is not None
            QTest.mouseClick(key, Qt.MouseButton.LeftButton)
        QTest.mouseClick(self.login.ok, Qt.MouseButton.LeftButton)

    def click(self, name: str) -> None:
        button = self.panel.buttons[name]
        assert button.isVisible(), name
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def output(self, section: str) -> str:
        return self.panel.output[section].text()


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path) -> Iterator[PanelRig]:
    r = PanelRig(qtbot, tmp_path)
    yield r
    r.poster.close()
    r.window.ticker.stop()


def test_the_code_opens_maintenance_and_every_section_answers(rig: PanelRig) -> None:
    rig.gesture()
    rig.qtbot.waitUntil(lambda: rig.controller.state is SessionState.OUT_OF_SERVICE)
    rig.type_in(CODE)
    rig.qtbot.waitUntil(rig.panel.isVisible, timeout=2000)
    assert not rig.login.isVisible()
    role = translate("maintenance.role.technician", rig.controller.view.language)
    assert role in rig.panel.who.text()
    rig.click("maintenance_diag_run")
    rig.qtbot.waitUntil(lambda: rig.output("diagnostics").count("\n") == 4, timeout=5000)
    assert "[OK]" in rig.output("diagnostics")
    rig.click("maintenance_diag_test_page")
    rig.qtbot.waitUntil(lambda: "1" in rig.output("diagnostics") and rig.m.printer.pages != [])
    rig.click("maintenance_section_counters")
    assert "4" in rig.output("counters")
    rig.click("maintenance_section_queue")
    rig.qtbot.waitUntil(lambda: "2" in rig.output("queue"), timeout=5000)
    rig.click("maintenance_queue_sync")
    rig.qtbot.waitUntil(lambda: rig.m.central.delivered == 1, timeout=5000)
    rig.click("maintenance_section_day")
    rig.click("maintenance_day_run")
    rig.qtbot.waitUntil(lambda: rig.output("day") != "", timeout=5000)
    rig.click("maintenance_section_logs")  # the newest lines come with the section
    rig.qtbot.waitUntil(lambda: "zvt bad frame" in rig.output("logs"), timeout=5000)
    first, second = rig.output("logs").splitlines()
    assert first.endswith('WARNING zvt bad frame reason="crc"')  # newest first
    assert "journey_report" in second
    rig.click("maintenance_logs_send")
    sent = translate("maintenance.logs.sent", rig.panel._language(), upload=7, chars=321)
    rig.qtbot.waitUntil(lambda: rig.output("logs") == sent, timeout=5000)
    assert rig.m.logs.sent == 1
    rig.click("maintenance_section_service")
    assert rig.panel.buttons["maintenance_exit"].isVisible()  # a code is a technician's
    rig.click("maintenance_service_out")
    rig.click("maintenance_close")
    rig.qtbot.waitUntil(lambda: not rig.panel.isVisible(), timeout=2000)
    assert rig.controller.state is SessionState.OUT_OF_SERVICE
    actions = rig.m.audit.actions()
    assert actions[0] == "login"
    assert {
        "diagnose",
        "test_page",
        "sync_now",
        "end_of_day",
        "logs",
        "send_logs",
        "out_of_service",
    } <= set(actions)
    assert actions[-1] == "close"


def test_a_staff_card_logs_a_clerk_in_without_the_exit(rig: PanelRig) -> None:
    rig.gesture()
    QTest.mouseClick(rig.login.card, Qt.MouseButton.LeftButton)
    assert rig.login.card_mode
    rig.type_in("1234")
    rig.qtbot.waitUntil(rig.panel.isVisible, timeout=5000)
    rig.click("maintenance_section_service")
    assert not rig.panel.buttons["maintenance_exit"].isVisible()
    rig.click("maintenance_service_in")
    rig.click("maintenance_close")
    rig.qtbot.waitUntil(lambda: rig.controller.state is SessionState.ATTRACT, timeout=5000)


def test_a_resident_card_is_refused_on_screen(rig: PanelRig) -> None:
    rig.m.allow.clear()
    rig.gesture()
    QTest.mouseClick(rig.login.card, Qt.MouseButton.LeftButton)
    rig.type_in("1234")
    refused = translate("staff.card.not_staff", rig.controller.view.language)
    rig.qtbot.waitUntil(lambda: rig.login.message.text() == refused, timeout=5000)
    assert rig.m.rig.fakes.card.received_pins == []
    assert not rig.panel.isVisible()
    QTest.mouseClick(rig.login.cancel, Qt.MouseButton.LeftButton)
    rig.qtbot.waitUntil(lambda: rig.controller.state is SessionState.ATTRACT, timeout=2000)


def test_the_mode_closes_itself_when_idle(qtbot: QtBot, tmp_path: Path) -> None:
    r = PanelRig(qtbot, tmp_path, idle_s=1.0)
    try:
        r.gesture()
        r.type_in(CODE)
        qtbot.waitUntil(r.panel.isVisible, timeout=2000)
        qtbot.waitUntil(lambda: not r.panel.isVisible(), timeout=5000)
        assert r.m.audit.actions()[-1] == "closed_idle"
        qtbot.waitUntil(lambda: r.controller.state is SessionState.ATTRACT, timeout=2000)
    finally:
        r.poster.close()
        r.window.ticker.stop()


def answered(rig: PanelRig, section: str) -> bool:
    waiting = translate("maintenance.wait", rig.panel._language())
    return rig.output(section) not in ("", waiting)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1280, 1024)], ids=str)
@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_every_section_fits_the_screen(rig: PanelRig, lang: str, size: tuple[int, int]) -> None:
    rig.window.resize(*size)
    rig.panel._language = lambda: lang
    rig.gesture()
    rig.type_in(CODE)
    rig.qtbot.waitUntil(rig.panel.isVisible, timeout=2000)
    problems: list[str] = []
    for section in SECTIONS:
        rig.click(f"maintenance_section_{section}")
        first = next(iter(rig.panel.section_actions[section]), None)
        if first is not None and section not in ("service",):
            rig.click(f"maintenance_{first}")
            rig.qtbot.waitUntil(functools.partial(answered, rig, section), timeout=5000)
        QApplication.processEvents()
        problems += [f"{section}: {p}" for p in misfits(rig.panel)]
    assert not problems, "\n".join(problems)

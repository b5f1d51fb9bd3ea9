from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.journey import JourneyController, JourneySettings
from kiosk.ports import Ports
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, make_ports, make_settings
from tests.ui.audio_rig import Audio
from ui.bridge import QtPoster
from ui.main_window import KioskWindow


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[FakePorts]:
    """Ports whose futures complete on a worker thread, like the real device runners."""
    f = make_ports(threaded=True, directory=tmp_path)
    yield f
    f.completer.close()


class UiRig:
    def __init__(
        self,
        qtbot: QtBot,
        fakes: FakePorts,
        *,
        settings: JourneySettings | None = None,
        ports: Ports | None = None,
    ) -> None:
        """`ports`: the fakes' ports with some replaced (the fakes' own by default)."""
        self.qtbot = qtbot
        self.fakes = fakes
        self.poster = QtPoster()
        counter = itertools.count(1)
        self.controller = JourneyController(
            ports=ports or fakes.ports,
            settings=settings or make_settings(),
            post=self.poster.post,
            clock=time.monotonic,
            ids=lambda: f"op{next(counter):08d}",
        )
        fakes.card.watch(lambda kind: self.poster.post(lambda: self.controller.card_event(kind)))
        self.window = KioskWindow(self.controller)
        qtbot.addWidget(self.window)
        self.window.show()

    def state(self) -> SessionState:
        return self.controller.state

    def wait_for(self, state: SessionState) -> None:
        self.qtbot.waitUntil(lambda: self.controller.state is state, timeout=5000)

    def button(self, name: str) -> QPushButton:
        button = self.window.current_screen.findChild(QPushButton, name)
        assert button is not None, name
        return button

    def click(self, name: str) -> None:
        QTest.mouseClick(self.button(name), Qt.MouseButton.LeftButton)


@pytest.fixture
def ui(qtbot: QtBot, fakes: FakePorts) -> Iterator[UiRig]:
    rig = UiRig(qtbot, fakes)
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


@pytest.fixture
def audio(ui: UiRig, tmp_path: Path) -> Iterator[Audio]:
    """The audio mode on the rig's window, with the real espeak-ng (`tests.ui.audio_rig`)."""
    a = Audio(ui, tmp_path)
    yield a
    a.mode.stop()
    a.close()

"""Through the widgets: Help and the language switch on every screen, and a greyed document."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk.journey import JourneyController
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, make_settings
from tests.ui.conftest import UiRig
from ui.bridge import QtPoster
from ui.main_window import KioskWindow
from ui.screens.documents import DocumentsScreen

S = SessionState


def off_main_thread(fn: Callable[[], None]) -> None:
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def click(window: KioskWindow, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None, name
    assert button.isVisible(), name
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def to_pin(ui: UiRig) -> None:
    ui.click("start")
    ui.click("lang_fr")
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)


def test_help_on_the_pin_screen_says_staff_are_called_and_the_resident_goes_on(
    ui: UiRig, qtbot: QtBot
) -> None:
    to_pin(ui)
    window = ui.window
    click(window, "help")
    assert window.help_panel.isVisible()
    assert window.help_panel.title.text() == "Comment pouvons-nous vous aider ?"
    click(window, "help_card_stuck")
    assert ui.controller.view.help_called
    assert window.help_panel.title.text() == "Le personnel a été appelé"
    assert not window.help_panel.reasons[next(iter(window.help_panel.reasons))].isVisible()
    assert window.tools.help.text() == "Le personnel a été appelé"
    click(window, "help_close")
    assert not window.help_panel.isVisible()
    assert ui.state() is S.PIN
    QTest.keyClicks(window.current_screen, "1234")
    QTest.keyClick(window.current_screen, Qt.Key.Key_Return)
    ui.wait_for(S.CHOOSE_DOCUMENTS)


def test_the_language_switch_works_on_every_screen(ui: UiRig) -> None:
    window = ui.window
    click(window, "switch_nl")  # on the welcome screen it starts the session in that language
    ui.wait_for(S.INSERT_CARD)
    assert ui.controller.view.language == "nl"
    assert ui.button("cancel").text() == "Annuleren"
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    click(window, "switch_de")
    assert ui.state() is S.PIN
    assert ui.button("cancel").text() == "Abbrechen"
    assert window.tools.languages["de"].isChecked()
    assert not window.tools.languages["nl"].isChecked()


def test_a_document_this_resident_cannot_get_is_greyed_with_its_reason(
    qtbot: QtBot, fakes: FakePorts
) -> None:
    poster = QtPoster()
    counter = itertools.count(1)
    controller = JourneyController(
        ports=fakes.ports,
        settings=make_settings(household=250, residence_history=300),
        post=poster.post,
        clock=time.monotonic,
        ids=lambda: f"op{next(counter):08d}",
    )
    fakes.card.watch(lambda kind: poster.post(lambda: controller.card_event(kind)))
    window = KioskWindow(controller)
    qtbot.addWidget(window)
    window.show()
    try:
        controller.touch()
        controller.choose_language("en")
        off_main_thread(fakes.card.insert)
        qtbot.waitUntil(lambda: controller.state is S.PIN, timeout=5000)
        for digit in "1234":
            controller.pin_digit(digit)
        controller.pin_submit()
        qtbot.waitUntil(lambda: controller.state is S.CHOOSE_DOCUMENTS, timeout=5000)
        screen = window.current_screen
        assert isinstance(screen, DocumentsScreen)
        history = screen.cards["residence_history"]
        assert not history.isEnabled()
        assert history.description == "No previous address in the register"
        QTest.mouseClick(history, Qt.MouseButton.LeftButton)
        assert controller.view.selected == ()
        assert screen.cards["household"].isEnabled()
    finally:
        poster.close()
        window.ticker.stop()

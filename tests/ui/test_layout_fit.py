"""Every screen × language on the portrait kiosk screen: no clipped text, nothing off-screen."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import cast

import pytest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.journey import PROMPT_KEYS, JourneyController
from kiosk.ports import Ports
from kiosk.session import SessionState
from tests.core.fakes import make_settings
from ui.layout import misfits
from ui.main_window import KioskWindow
from ui.screens.pin import PinScreen
from ui.screenshots import _Inert, _sample
from ui.theme import DARK_ON_LIGHT, LIGHT_ON_DARK, Palette, apply_look

PORTRAIT = (1080, 1920)
LONG_COMMUNE = "Ottignies-Louvain-la-Neuve"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[tuple[KioskWindow, JourneyController]]:
    settings = dataclasses.replace(make_settings(), commune_name=LONG_COMMUNE)
    controller = JourneyController(
        ports=cast(Ports, _Inert()),
        settings=settings,
        post=lambda _f: None,
        clock=time.monotonic,
        ids=lambda: "layout",
    )
    win = KioskWindow(controller)
    win.ticker.stop()
    qtbot.addWidget(win)
    win.resize(*PORTRAIT)
    win.show()
    yield win, controller
    apply_look(win, palette=LIGHT_ON_DARK)


def _settle(win: KioskWindow) -> None:
    QApplication.processEvents()  # the pending layout requests of every child
    layout = win.layout()
    assert layout is not None
    layout.activate()


@pytest.mark.parametrize("palette", [LIGHT_ON_DARK, DARK_ON_LIGHT], ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_every_screen_fits_the_portrait_screen(
    window: tuple[KioskWindow, JourneyController], qtbot: QtBot, lang: str, palette: Palette
) -> None:
    win, controller = window
    apply_look(win, palette=palette)
    problems: list[str] = []
    for state in PROMPT_KEYS:
        view = _sample(dataclasses.replace(controller.view, language=lang), state)
        win.show_view(view)
        win.resize(*PORTRAIT)
        assert win.stack.currentWidget() is win.screens[state]
        _settle(win)
        assert (win.width(), win.height()) == PORTRAIT, f"{state.value} resizes the window"
        problems += [f"{state.value}: {p}" for p in misfits(win)]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_clipped_button(
    window: tuple[KioskWindow, JourneyController], qtbot: QtBot
) -> None:
    win, controller = window
    view = _sample(dataclasses.replace(controller.view, language="nl"), SessionState.PIN)
    win.show_view(view)
    screen = win.screens[SessionState.PIN]
    assert isinstance(screen, PinScreen)
    screen.ok.setMinimumSize(0, 0)
    screen.ok.setFixedWidth(150)
    _settle(win)
    assert any("Bevestigen" in p for p in misfits(win))


def test_initial_focus_is_never_back_or_cancel(
    window: tuple[KioskWindow, JourneyController],
) -> None:
    win, controller = window
    for state in PROMPT_KEYS:
        view = _sample(dataclasses.replace(controller.view, language="fr"), state)
        win.show_view(view)
        screen = win.screens[state]
        focus = screen.first_focus()
        assert focus is None or focus not in (screen.back_button, screen.cancel_button), state
        if state is SessionState.SUMMARY:
            assert focus is screen.findChild(QPushButton, "summary_confirm")

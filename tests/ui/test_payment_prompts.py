"""The terminal's prompts on the payment screen: every one translated and fitting, in each language,
including the "cancel on the terminal" guidance."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import cast

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hardware.payment.zvt.driver import CANCEL_ON_TERMINAL
from hardware.payment.zvt.prompts import PROMPT_KEYS
from kiosk.journey import JourneyController
from kiosk.ports import Ports
from kiosk.session import SessionState
from tests.core.fakes import make_settings
from ui.layout import misfits
from ui.main_window import KioskWindow
from ui.screens.messages import PaymentScreen
from ui.screenshots import _Inert, _sample

PORTRAIT = (1080, 1920)
I18N = Path(__file__).resolve().parents[2] / "assets" / "i18n"


@pytest.fixture
def window(qtbot: QtBot) -> tuple[KioskWindow, JourneyController]:
    controller = JourneyController(
        ports=cast(Ports, _Inert()),
        settings=make_settings(),
        post=lambda _f: None,
        clock=time.monotonic,
        ids=lambda: "payment-prompts",
    )
    win = KioskWindow(controller)
    win.ticker.stop()
    qtbot.addWidget(win)
    win.resize(*PORTRAIT)
    win.show()
    return win, controller


@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_every_terminal_prompt_is_shown_translated_and_fits(
    window: tuple[KioskWindow, JourneyController], lang: str
) -> None:
    win, controller = window
    texts = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    for key in sorted({*PROMPT_KEYS, CANCEL_ON_TERMINAL}):
        view = _sample(dataclasses.replace(controller.view, language=lang), SessionState.PAYMENT)
        win.show_view(dataclasses.replace(view, payment_prompt_key=key))
        screen = win.screens[SessionState.PAYMENT]
        assert isinstance(screen, PaymentScreen)
        QApplication.processEvents()
        assert screen.status.text() == texts[key], key
        problems += [f"{key}: {p}" for p in misfits(win)]
    assert not problems, "\n".join(problems)

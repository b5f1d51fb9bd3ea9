"""My requests in the kiosk window: the button on the document choice, the list of the newest
earlier documents with their codes (fewer on a short screen, then "older ones"), Back to the
choice."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flows.my_requests import MY_REQUESTS
from kiosk.i18n import translate
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, FakeRequests
from tests.core.test_my_requests_step import _earlier
from tests.ui.conftest import UiRig
from tests.ui.test_kiosk_ui import off_main_thread
from ui.screens.my_requests import MyRequestsScreen

S = SessionState


@pytest.fixture
def requests_port(fakes: FakePorts) -> FakeRequests:
    return FakeRequests(fakes.completer, fakes.register)


@pytest.fixture
def requests_ui(qtbot: QtBot, fakes: FakePorts, requests_port: FakeRequests) -> Iterator[UiRig]:
    rig = UiRig(qtbot, fakes, ports=dataclasses.replace(fakes.ports, requests=requests_port))
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


def _to_choice(ui: UiRig) -> None:
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    ui.click("lang_nl")
    ui.wait_for(S.INSERT_CARD)
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    for digit in "1234":
        ui.click(f"pin_{digit}")
    ui.click("pin_ok")
    ui.wait_for(S.CHOOSE_DOCUMENTS)


def test_the_newest_earlier_documents_with_their_codes_then_back(
    requests_ui: UiRig, requests_port: FakeRequests
) -> None:
    ui = requests_ui
    requests_port.documents = _earlier(3)
    _to_choice(ui)
    button = ui.button("my_requests")
    assert button.isVisible()
    assert button.text().replace("\n", " ") == translate("documents.my_requests", "nl")
    ui.click("my_requests")
    ui.wait_for(MY_REQUESTS)
    screen = ui.window.current_screen
    assert isinstance(screen, MyRequestsScreen)
    shown = [(t.text(), d.text()) for f, t, d in screen.rows if not f.isHidden()]
    assert len(shown) == 3
    assert shown[0][1] == "Code AB00-CDEF-GHJK · Démo-sur-Meuse"
    assert shown[0][0].endswith("12/03/2026")
    assert screen.empty.isHidden()
    assert screen.more.isHidden()
    ui.click("back")
    ui.wait_for(S.CHOOSE_DOCUMENTS)


def test_on_a_short_screen_fewer_panels_and_the_older_ones_said(
    requests_ui: UiRig, requests_port: FakeRequests
) -> None:
    ui = requests_ui
    requests_port.documents = _earlier(6)
    ui.window.resize(1920, 1080)
    _to_choice(ui)
    ui.click("my_requests")
    ui.wait_for(MY_REQUESTS)
    screen = ui.window.current_screen
    assert isinstance(screen, MyRequestsScreen)
    ui.qtbot.waitUntil(lambda: screen.fit.short, timeout=5000)
    visible = [f for f, _t, _d in screen.rows if not f.isHidden()]
    assert 0 < len(visible) < 6
    assert not screen.more.isHidden()
    assert screen.more.text() == translate("my_requests.more", "nl")

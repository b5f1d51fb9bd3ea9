"""The purpose screen through the widgets: one large translated button per purpose, after the
document choice; the purpose picked reaches the certificates in their own language."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.flows.purpose import DEFAULT_PURPOSES, PURPOSE
from kiosk.i18n import translate
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, make_settings
from tests.ui.conftest import UiRig
from tests.ui.test_kiosk_ui import off_main_thread
from ui.app import run_kiosk
from ui.autoplay import AutoplayScript
from ui.screens.purpose import PurposeScreen
from ui.screens.summary import SummaryScreen
from ui.theme import min_target_px

S = SessionState


def test_autoplay_picks_a_purpose_printed_in_the_certificates_language(
    qapp: QApplication, fakes: FakePorts
) -> None:
    script = AutoplayScript(
        language="nl",
        pin="1234",
        documents=("household", "life"),
        document_language="de",
        purpose="school",
    )
    result = run_kiosk(
        ports=fakes.ports,
        settings=dataclasses.replace(make_settings(), purposes=DEFAULT_PURPOSES),
        autoplay=script,
        insert_card=fakes.card.insert,
        remove_card=fakes.card.remove,
        autoplay_timeout_s=30,
    )
    assert result.finished
    assert [r.outcome for r in result.reports] == ["completed"]
    assert [(r.language, r.purpose) for r in fakes.issuer.requests] == [
        ("de", "eine Bildungseinrichtung"),
        ("de", "eine Bildungseinrichtung"),
    ]


@pytest.fixture
def purpose_ui(qtbot: QtBot, fakes: FakePorts) -> Iterator[UiRig]:
    rig = UiRig(
        qtbot, fakes, settings=dataclasses.replace(make_settings(), purposes=DEFAULT_PURPOSES)
    )
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


def test_the_purpose_screen_shows_each_purpose_in_the_residents_language(
    purpose_ui: UiRig,
) -> None:
    ui = purpose_ui
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
    ui.click("doc_residence")
    ui.click("docs_confirm")
    ui.wait_for(PURPOSE)
    screen = ui.window.current_screen
    assert isinstance(screen, PurposeScreen)
    assert screen.prompt.text() == translate("purpose.prompt", "nl")
    names = [b.objectName() for b in screen.findChildren(QPushButton) if b.isVisibleTo(screen)]
    assert [n for n in names if n.startswith("purpose_")] == [
        f"purpose_{code}" for code in DEFAULT_PURPOSES
    ]
    for code in DEFAULT_PURPOSES:
        button = ui.button(f"purpose_{code}")
        assert button.text().replace("\n", " ") == translate(f"purpose.{code}", "nl")
        assert min(button.width(), button.height()) >= min_target_px()
    ui.click("back")
    ui.wait_for(S.CHOOSE_DOCUMENTS)
    ui.click("docs_confirm")
    ui.wait_for(PURPOSE)
    ui.click("purpose_court")
    ui.wait_for(S.SUMMARY)
    summary = ui.window.current_screen
    assert isinstance(summary, SummaryScreen)
    assert summary.purpose.isVisibleTo(summary)
    assert summary.purpose.text() == translate(
        "summary.purpose", "nl", purpose=translate("purpose.court", "nl")
    )
    ui.click("summary_confirm")
    ui.wait_for(S.TAKE_DOCUMENTS)
    (request,) = ui.fakes.issuer.requests
    assert request.purpose == "een rechtbank"

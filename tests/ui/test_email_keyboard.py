"""The sealed PDFs by e-mail in the kiosk window: "Also by e-mail" on the documents' screen, the
address clicked key by key on the on-screen keyboard (QTest), refused with its reason, then sent;
the audio mode never says the address's characters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from kiosk.flows.email import EMAIL
from kiosk.i18n import translate
from kiosk.session import SessionState
from tests.core.fakes import FakeMail, FakePorts
from tests.ui.conftest import UiRig
from tests.ui.test_kiosk_ui import off_main_thread
from tests.ui.test_purpose_keyboard import _Heard
from ui.onscreen_keyboard import DONE, key_name
from ui.screens.email import EmailScreen
from ui.speech import AudioMode

S = SessionState
ADDRESS = "jean_dupont+borne@demo-sur-meuse.be"


@pytest.fixture
def mail(fakes: FakePorts) -> FakeMail:
    return FakeMail(fakes.completer)


@pytest.fixture
def email_ui(qtbot: QtBot, fakes: FakePorts, mail: FakeMail) -> Iterator[UiRig]:
    rig = UiRig(qtbot, fakes, ports=dataclasses.replace(fakes.ports, mail=mail))
    yield rig
    rig.poster.close()
    rig.window.ticker.stop()


def _to_documents(ui: UiRig) -> None:
    ui.click("start")
    ui.wait_for(S.LANGUAGE)
    ui.click("lang_fr")
    ui.wait_for(S.INSERT_CARD)
    off_main_thread(ui.fakes.card.insert)
    ui.wait_for(S.PIN)
    for digit in "1234":
        ui.click(f"pin_{digit}")
    ui.click("pin_ok")
    ui.wait_for(S.CHOOSE_DOCUMENTS)
    ui.click("doc_life")
    ui.click("docs_confirm")
    ui.wait_for(S.SUMMARY)
    ui.click("summary_confirm")
    ui.wait_for(S.TAKE_DOCUMENTS)


def _type(ui: UiRig, text: str) -> None:
    for char in text:
        ui.click(key_name(char))


def test_the_address_typed_on_the_keys_gets_the_sealed_pdf_and_is_never_spoken(
    email_ui: UiRig, mail: FakeMail
) -> None:
    ui = email_ui
    _to_documents(ui)
    button = ui.button("take_email")
    assert button.isVisible()
    assert button.text().replace("\n", " ") == translate("take_documents.email", "fr")
    ui.click("take_email")
    ui.wait_for(EMAIL)
    screen = ui.window.current_screen
    assert isinstance(screen, EmailScreen)
    assert screen.keyboard.text() == ""
    assert not screen.keyboard.keys["é"].isEnabled()  # nothing an address cannot hold
    assert "," not in screen.keyboard.keys  # the address's own punctuation row
    assert {"_", "+", "@", ".", "-"} <= set(screen.keyboard.keys)
    audio = AudioMode(ui.window, speech=_Heard())
    audio.start()
    _type(ui, "jean_dupont+borne")
    ui.click(key_name(DONE))
    ui.qtbot.waitUntil(lambda: ui.controller.view.notice_key == "email.no_at", timeout=5000)
    assert screen.notice.text() == translate("email.no_at", "fr")
    _type(ui, "@demo-sur-meuse.be")
    said = " ".join(u.text for u in audio.said)
    assert "dupont" not in said
    assert "meuse" not in said
    assert translate("osk.say.entered", "fr") in said
    ui.click(key_name(DONE))
    ui.wait_for(S.TAKE_DOCUMENTS)
    ui.qtbot.waitUntil(lambda: ui.controller.view.notice_key == "email.sent", timeout=5000)
    ((_document_id, address, language, pdf),) = mail.sent
    assert (address, language) == (ADDRESS, "fr")
    assert pdf.startswith(b"%PDF")
    assert not ui.button("take_email").isVisible()  # sent: the offer goes


def test_back_from_the_keyboard_returns_to_the_documents(email_ui: UiRig, mail: FakeMail) -> None:
    ui = email_ui
    _to_documents(ui)
    ui.click("take_email")
    ui.wait_for(EMAIL)
    _type(ui, "jean")
    ui.click("back")
    ui.wait_for(S.TAKE_DOCUMENTS)
    assert ui.button("take_email").isVisible()
    ui.click("take_email")
    ui.wait_for(EMAIL)
    screen = ui.window.current_screen
    assert isinstance(screen, EmailScreen)
    assert screen.keyboard.text() == ""  # nothing typed is kept
    assert mail.sent == []

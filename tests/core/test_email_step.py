"""The sealed PDFs by e-mail, through the journey controller with fake ports: offered after the
order, the address checked, one mail per document, a plain notice either way, the card free to go,
and neither the address nor the copies outliving the session or reaching the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import BorneError
from kiosk.flows.email import EMAIL, EMAILING, email_char
from kiosk.session import TRANSITIONS, SessionState
from offline_queue.email_address import email_address_problem
from offline_queue.errors import CentralRejected, CentralUnavailable
from tests.core.fakes import Rig

S = SessionState
ADDRESS = "marie.dupont@example.be"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path, citizen=True, household=250, life=0)
    yield r
    r.fakes.completer.close()


def _to_documents(rig: Rig, *documents: str) -> None:
    rig.to_pin(language="nl")
    assert rig.enter_pin("1234").state is S.CHOOSE_DOCUMENTS
    for document in documents:
        rig.controller.toggle_document(document)
    rig.controller.confirm_documents()
    assert rig.pump().state is S.SUMMARY
    rig.controller.confirm_summary()
    view = rig.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert view.email_offered


def test_each_sealed_pdf_is_mailed_once_then_the_offer_goes(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = rig.controller
    _to_documents(rig, "household", "life")
    c.offer_email()
    assert rig.pump().state is EMAIL
    c.give_email(f"  {ADDRESS} ")
    view = rig.pump()
    assert (view.state, view.notice_key, view.email_offered) == (
        S.TAKE_DOCUMENTS,
        "email.sent",
        False,
    )
    issued = {d.document_id: d for d in rig.controller_session().issued}
    assert [(d, a, lang) for d, a, lang, _pdf in rig.mail.sent] == [
        (document_id, ADDRESS, "nl") for document_id in issued
    ]
    assert [pdf for *_rest, pdf in rig.mail.sent] == [d.sealed for d in issued.values()]
    assert rig.controller_session().email_address == ""
    c.offer_email()  # sent already: nothing happens
    assert rig.pump().state is S.TAKE_DOCUMENTS
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "document_emailed" in logged
    assert "example.be" not in logged
    assert "dupont" not in logged


def test_an_address_the_kiosk_does_not_take_keeps_the_keyboard_with_its_reason(rig: Rig) -> None:
    c = rig.controller
    _to_documents(rig, "household")
    c.offer_email()
    for typed, notice in (
        ("", "email.empty"),
        ("marie.example.be", "email.no_at"),
        ("marie@example", "email.domain"),
        ("marie..dupont@example.be", "email.local"),
        ("m" * 250 + "@example.be", "email.too_long"),
    ):
        c.give_email(typed)
        view = rig.pump()
        assert (view.state, view.notice_key) == (EMAIL, notice), typed
    assert rig.mail.sent == []
    c.back()
    view = rig.pump()
    assert (view.state, view.notice_key, view.email_offered) == (S.TAKE_DOCUMENTS, None, True)


@pytest.mark.parametrize(
    ("error", "notice"),
    [
        (CentralUnavailable("down", params={"status": "503"}), "email.not_now"),
        (CentralRejected("old", status=403, code="document.too_old"), "email.not_sent"),
    ],
)
def test_a_mail_the_central_cannot_send_is_said_plainly_and_may_be_tried_again(
    rig: Rig, error: BorneError, notice: str
) -> None:
    c = rig.controller
    _to_documents(rig, "household")
    rig.mail.fail_with = error
    c.offer_email()
    c.give_email(ADDRESS)
    view = rig.pump()
    assert (view.state, view.notice_key, view.email_offered) == (S.TAKE_DOCUMENTS, notice, True)
    assert rig.controller_session().email_address == ""
    rig.mail.fail_with = None
    c.offer_email()
    c.give_email(ADDRESS)
    assert rig.pump().notice_key == "email.sent"


def test_the_card_may_leave_while_the_address_is_typed_and_the_copies_go_with_the_session(
    rig: Rig,
) -> None:
    c = rig.controller
    _to_documents(rig, "household")
    session = rig.controller_session()
    c.offer_email()
    rig.fakes.card.remove()
    assert rig.pump().state is EMAIL  # the order is complete: the card is not needed any more
    c.give_email(ADDRESS)
    assert rig.pump().state is S.TAKE_DOCUMENTS
    c.documents_taken()
    assert rig.pump().state is S.ATTRACT
    assert [d.sealed for d in session.issued] == [b""]
    assert session.email_address == ""


def test_no_mail_port_no_offer(tmp_path: Path) -> None:
    r = Rig(tmp_path, household=250)
    r.to_pin()
    r.enter_pin("1234")
    r.controller.toggle_document("household")
    r.controller.confirm_documents()
    r.pump()
    r.controller.confirm_summary()
    view = r.pump()
    assert view.state is S.TAKE_DOCUMENTS
    assert not view.email_offered
    r.controller.offer_email()
    assert r.pump().state is S.TAKE_DOCUMENTS


def test_the_steps_sit_between_the_documents_and_their_taking() -> None:
    assert EMAIL in TRANSITIONS[S.TAKE_DOCUMENTS]
    assert {S.TAKE_DOCUMENTS, EMAILING} <= TRANSITIONS[EMAIL]
    assert S.TAKE_DOCUMENTS in TRANSITIONS[EMAILING]
    assert S.PAYMENT not in TRANSITIONS[EMAIL] | TRANSITIONS[EMAILING]


@given(st.text(max_size=40))
def test_what_the_keyboard_lets_through_is_ascii_address_characters(text: str) -> None:
    kept = "".join(c for c in text if email_char(c))
    assert kept.isascii()
    assert set(kept) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+@")
    if email_address_problem(kept) is None:
        assert kept.count("@") == 1

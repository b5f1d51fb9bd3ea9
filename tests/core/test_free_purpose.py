"""The typed purpose: its validation (property tests) and the step through the journey controller
with fake ports; the text reaches the certificates as typed and never the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.flows.purpose import DEFAULT_PURPOSES, PURPOSE, printed, stated
from kiosk.flows.purpose_text import PURPOSE_TEXT
from kiosk.session import TRANSITIONS, SessionState
from printing.documents.purposes import (
    FREE_PURPOSE_MAX,
    FREE_PURPOSE_PUNCTUATION,
    OTHER,
    FreePurposeProblem,
    InvalidFreePurpose,
    free_purpose,
    free_purpose_char,
)
from printing.fonts import printable_code_points
from tests.core.fakes import Rig, make_settings

S = SessionState

ALLOWED = st.characters(codec="utf-8").filter(free_purpose_char)
WORDS = st.text(ALLOWED, min_size=1, max_size=120)


def _problem(text: str) -> FreePurposeProblem:
    with pytest.raises(InvalidFreePurpose) as refused:
        free_purpose(text)
    assert len(text.strip()) < 4 or text.strip() not in str(refused.value)  # never the text
    return refused.value.problem


@given(WORDS)
def test_a_kept_purpose_is_trimmed_bounded_and_only_of_allowed_characters(text: str) -> None:
    words = " ".join(p for p in text.split(" ") if p)
    if not words.strip(FREE_PURPOSE_PUNCTUATION) or len(words) > FREE_PURPOSE_MAX:
        problem = _problem(text)
        assert problem in (FreePurposeProblem.EMPTY, FreePurposeProblem.TOO_LONG)
        return
    kept = free_purpose(text)
    assert 0 < len(kept) <= FREE_PURPOSE_MAX
    assert kept == kept.strip()
    assert "  " not in kept
    assert all(free_purpose_char(c) for c in kept)
    assert free_purpose(kept) == kept  # idempotent: what is printed is what is kept


@given(WORDS, st.characters(codec="utf-8").filter(lambda c: not free_purpose_char(c)))
def test_one_character_outside_the_set_refuses_the_text(text: str, bad: str) -> None:
    words = text[: FREE_PURPOSE_MAX - 2].strip() or "a"
    assert _problem(f"{words}{bad}b") is FreePurposeProblem.NOT_ALLOWED


def test_every_allowed_character_is_drawn_by_the_embedded_fonts() -> None:
    drawable = printable_code_points()
    allowed = [chr(c) for c in range(0x30000) if free_purpose_char(chr(c))]
    assert {"é", "ß", "Ł", "ø"} <= set(allowed)
    assert [c for c in allowed if ord(c) not in drawable] == []


def test_the_limits_of_a_typed_purpose() -> None:
    assert free_purpose("  inscription   à l'académie  ") == "inscription à l'académie"
    assert free_purpose("e" * FREE_PURPOSE_MAX) == "e" * FREE_PURPOSE_MAX
    assert _problem("e" * (FREE_PURPOSE_MAX + 1)) is FreePurposeProblem.TOO_LONG
    assert _problem("   ") is FreePurposeProblem.EMPTY
    assert _problem(" - . ") is FreePurposeProblem.EMPTY
    assert _problem("école\tdu soir") is FreePurposeProblem.NOT_ALLOWED
    assert _problem("<b>école</b>") is FreePurposeProblem.NOT_ALLOWED
    assert _problem("mail@example.be") is FreePurposeProblem.NOT_ALLOWED
    assert _problem("Школа") is FreePurposeProblem.NOT_ALLOWED
    assert set(FREE_PURPOSE_PUNCTUATION) <= {" ", "'", "-", ".", ",", "/", "(", ")"}


def test_printed_and_stated_forms() -> None:
    assert printed(OTHER, "de", text=" Fußballverein  Kelmis ") == "Fußballverein Kelmis"
    assert printed(OTHER, "fr", text="") == ""  # refused: nothing printed, the rest is right
    assert stated(OTHER, "Fußballverein Kelmis", "nl") == "Fußballverein Kelmis"
    assert stated("not_stated", "", "fr") == ""
    assert stated("employer", "", "fr") == "Un employeur"


@pytest.fixture
def purpose_rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path, settings=replace(make_settings(), purposes=DEFAULT_PURPOSES))
    yield r
    r.fakes.completer.close()


def _to_keyboard(rig: Rig) -> None:
    rig.to_pin(language="fr")
    assert rig.enter_pin("1234").state is S.CHOOSE_DOCUMENTS
    rig.controller.toggle_document("household")
    rig.controller.confirm_documents()
    assert rig.pump().state is PURPOSE
    rig.controller.choose_purpose(OTHER)
    assert rig.pump().state is PURPOSE_TEXT


def test_a_typed_purpose_is_printed_as_typed_and_never_logged(
    purpose_rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = purpose_rig.controller
    _to_keyboard(purpose_rig)
    c.give_purpose_text("   ")
    view = purpose_rig.pump()
    assert (view.state, view.notice_key) == (PURPOSE_TEXT, "purpose_text.empty")
    c.give_purpose_text("dossier <Zwölf>")
    assert purpose_rig.pump().notice_key == "purpose_text.not_allowed"
    c.give_purpose_text("Inscription à l'Académie de musique d'Écaussinnes")
    view = purpose_rig.pump()
    assert view.state is S.SUMMARY
    assert view.notice_key is None
    assert (view.purpose, view.purpose_text) == (
        OTHER,
        "Inscription à l'Académie de musique d'Écaussinnes",
    )
    c.back()
    assert purpose_rig.pump().state is PURPOSE  # the list again; "other" keeps the text
    c.choose_purpose(OTHER)
    assert purpose_rig.pump().purpose_text.startswith("Inscription")
    c.give_purpose_text("Inscription à l'Académie de musique d'Écaussinnes")
    assert purpose_rig.pump().state is S.SUMMARY
    c.confirm_summary()
    assert purpose_rig.pump().state is S.TAKE_DOCUMENTS
    (request,) = purpose_rig.fakes.issuer.requests
    assert request.purpose == "Inscription à l'Académie de musique d'Écaussinnes"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "free_purpose_given" in logged
    assert "Académie" not in logged
    assert "Zwölf" not in logged


def test_back_from_the_keyboard_and_a_listed_purpose_forget_the_text(purpose_rig: Rig) -> None:
    c = purpose_rig.controller
    _to_keyboard(purpose_rig)
    c.give_purpose_text("")
    assert purpose_rig.pump().notice_key == "purpose_text.empty"
    c.back()
    view = purpose_rig.pump()
    assert (view.state, view.notice_key) == (PURPOSE, None)
    c.choose_purpose(OTHER)
    c.give_purpose_text("stage")
    assert purpose_rig.pump().state is S.SUMMARY
    c.back()
    c.choose_purpose("court")
    view = purpose_rig.pump()
    assert (view.purpose, view.purpose_text) == ("court", "")


def test_the_keyboard_step_is_declared_between_the_list_and_the_summary() -> None:
    assert PURPOSE_TEXT in TRANSITIONS[PURPOSE]
    assert {PURPOSE, S.SUMMARY, S.ATTRACT, S.REMOVE_CARD} <= TRANSITIONS[PURPOSE_TEXT]
    assert S.PAYMENT not in TRANSITIONS[PURPOSE_TEXT]


def test_card_removed_on_the_keyboard_forgets_the_text(purpose_rig: Rig) -> None:
    _to_keyboard(purpose_rig)
    purpose_rig.controller.give_purpose_text("stage")
    purpose_rig.pump()
    purpose_rig.controller.back()
    purpose_rig.controller.choose_purpose(OTHER)
    purpose_rig.fakes.card.remove()
    view = purpose_rig.pump()
    assert view.state is S.ATTRACT
    assert (view.purpose, view.purpose_text) == ("", "")

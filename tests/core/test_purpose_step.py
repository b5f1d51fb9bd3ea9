"""The purpose step between the document choice and the summary, through the journey controller:
the chosen purpose reaches every certificate of the order, worded in the certificate's language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.config_reader import ConfigError
from kiosk.flows.purpose import (
    DEFAULT_PURPOSES,
    PURPOSE,
    after_documents,
    purpose_key,
    validate,
)
from kiosk.session import TRANSITIONS, SessionState
from printing.documents.purposes import PRINTED, PURPOSE_CODES, UnknownPurpose, printed_purpose
from tests.core.fakes import Rig, make_settings

S = SessionState
REPO = Path(__file__).resolve().parents[2]
I18N = REPO / "assets" / "i18n"


@pytest.fixture
def purpose_rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path, settings=replace(make_settings(), purposes=DEFAULT_PURPOSES))
    yield r
    r.fakes.completer.close()


def _to_purpose(rig: Rig, *documents: str, language: str = "fr", doc_lang: str = "fr") -> None:
    rig.to_pin(language=language)
    assert rig.enter_pin("1234").state is S.CHOOSE_DOCUMENTS
    for document in documents:
        rig.controller.toggle_document(document)
    rig.controller.set_document_language(doc_lang)
    rig.controller.confirm_documents()
    assert rig.pump().state is PURPOSE


def test_the_purpose_chosen_reaches_every_certificate_in_its_language(purpose_rig: Rig) -> None:
    _to_purpose(purpose_rig, "household", "residence", language="en", doc_lang="nl")
    view = purpose_rig.controller.view
    assert view.prompt_key == "purpose.prompt"
    purpose_rig.controller.choose_purpose("employer")
    view = purpose_rig.pump()
    assert view.state is S.SUMMARY
    assert view.purpose == "employer"
    purpose_rig.controller.confirm_summary()
    assert purpose_rig.pump().state is S.TAKE_DOCUMENTS
    requests = purpose_rig.fakes.issuer.requests
    assert [(r.document_type, r.language, r.purpose) for r in requests] == [
        ("household", "nl", "een werkgever"),
        ("residence", "nl", "een werkgever"),
    ]


def test_not_stated_prints_nothing_and_back_returns_through_the_step(purpose_rig: Rig) -> None:
    c = purpose_rig.controller
    _to_purpose(purpose_rig, "life")
    c.back()
    assert purpose_rig.pump().state is S.CHOOSE_DOCUMENTS
    c.confirm_documents()
    assert purpose_rig.pump().state is PURPOSE
    c.choose_purpose("court")
    assert purpose_rig.pump().state is S.SUMMARY
    c.back()  # from the summary, the resident may change the purpose
    assert purpose_rig.pump().state is PURPOSE
    c.choose_purpose("not_stated")
    assert purpose_rig.pump().state is S.SUMMARY
    c.confirm_summary()
    assert purpose_rig.pump().state is S.TAKE_DOCUMENTS
    (request,) = purpose_rig.fakes.issuer.requests
    assert request.purpose == ""


def test_an_unknown_purpose_is_ignored_and_the_step_stays(purpose_rig: Rig) -> None:
    _to_purpose(purpose_rig, "life")
    purpose_rig.controller.choose_purpose("tax_evasion")
    assert purpose_rig.pump().state is PURPOSE
    purpose_rig.controller.choose_purpose("")
    assert purpose_rig.pump().state is PURPOSE


def test_card_removed_and_cancel_on_the_purpose_step_end_the_session(purpose_rig: Rig) -> None:
    _to_purpose(purpose_rig, "household")
    purpose_rig.fakes.card.remove()
    view = purpose_rig.pump()
    assert view.state is S.ATTRACT
    assert view.purpose == ""  # nothing of the resident's choices outlives the card
    assert purpose_rig.fakes.issuer.requests == []
    assert purpose_rig.fakes.payment.net_charged == 0
    _to_purpose(purpose_rig, "household")
    purpose_rig.controller.cancel()
    assert purpose_rig.pump().state in (S.REMOVE_CARD, S.ATTRACT)
    assert purpose_rig.fakes.payment.net_charged == 0


def test_the_purpose_step_times_out_like_the_others(purpose_rig: Rig) -> None:
    _to_purpose(purpose_rig, "household")
    purpose_rig.clock.now += 91.0
    purpose_rig.controller.tick()
    assert purpose_rig.pump().state in (S.REMOVE_CARD, S.ATTRACT)


def test_without_purposes_the_documents_lead_to_the_summary(rig: Rig) -> None:
    rig.to_pin()
    rig.enter_pin("1234")
    rig.controller.toggle_document("life")
    rig.controller.confirm_documents()
    assert rig.pump().state is S.SUMMARY
    assert after_documents(()) is S.SUMMARY
    assert after_documents(DEFAULT_PURPOSES) is PURPOSE


def test_the_transition_table_declares_the_step() -> None:
    assert PURPOSE in TRANSITIONS[S.CHOOSE_DOCUMENTS]
    assert {S.SUMMARY, S.CHOOSE_DOCUMENTS, S.ATTRACT, S.REMOVE_CARD} <= TRANSITIONS[PURPOSE]
    assert PURPOSE in TRANSITIONS[S.SUMMARY]
    assert S.PAYMENT not in TRANSITIONS[PURPOSE]  # nothing is charged before the summary


def test_every_purpose_has_a_button_text_and_a_printed_wording() -> None:
    for language in ("fr", "nl", "de", "en"):
        texts = json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))
        for key in ("purpose.prompt", "purpose.hint", *map(purpose_key, PURPOSE_CODES)):
            assert texts[key].strip(), (language, key)
    for language in ("fr", "nl", "de"):
        assert set(PRINTED[language]) == set(PURPOSE_CODES) - {"not_stated", "other"}
        assert printed_purpose("not_stated", language) == ""
    assert printed_purpose("school", "fr") == "un établissement d'enseignement"
    with pytest.raises(UnknownPurpose):
        printed_purpose("school", "en")
    with pytest.raises(UnknownPurpose):
        printed_purpose("anything", "fr")


def test_the_configuration_lists_known_purposes_only(tmp_path: Path) -> None:
    assert validate(["employer", "not_stated"]) == ("employer", "not_stated")
    with pytest.raises(ValueError, match="unknown purposes"):
        validate(["employer", "lottery"])
    with pytest.raises(ValueError, match="twice"):
        validate(["employer", "employer"])
    source = (REPO / "kiosk.toml").read_text(encoding="utf-8")
    assert load_config(REPO / "kiosk.toml", environ={}).purposes == DEFAULT_PURPOSES
    bad = tmp_path / "kiosk.toml"
    bad.write_text(
        source.replace('purposes = ["administration",', 'purposes = ["lottery",'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"kiosk\.purposes"):
        load_config(bad, environ={"BORNE_VAR_DIR": str(tmp_path)})
    off = tmp_path / "off.toml"
    off.write_text(
        "\n".join(
            "purposes = []" if line.startswith("purposes =") else line
            for line in source.splitlines()
        ),
        encoding="utf-8",
    )
    assert load_config(off, environ={"BORNE_VAR_DIR": str(tmp_path)}).purposes == ()

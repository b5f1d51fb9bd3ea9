"""What the audio mode says (`kiosk.speech`), over the views the real journey controller makes."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.i18n import LANGUAGES, translate
from kiosk.journey import JourneyController, JourneyView
from kiosk.session import SessionState
from kiosk.speech import (
    AMPLITUDES,
    COUNTDOWN_AT,
    RATES,
    TIMEOUT_FACTOR,
    Cue,
    FocusTarget,
    Utterance,
    VoiceLevels,
    change_utterance,
    focus_utterance,
    screen_utterance,
    setting_utterance,
    view_utterance,
)
from kiosk.view import PROMPT_KEYS, OfferedDocument
from tests.core.fakes import Rig

S = SessionState


def spoken(rig: Rig) -> list[Utterance]:
    """Follows the controller as `ui.speech` does: a new screen whole, else what changed."""
    said: list[Utterance] = []
    last = [rig.controller.view]

    def changed(view: JourneyView) -> None:
        before, last[0] = last[0], view
        if (u := view_utterance(before, view)) is not None:
            said.append(u)

    rig.controller.on_change(changed)
    return said


def view_of(state: SessionState, **fields: object) -> JourneyView:
    base = JourneyView(
        state=state,
        language="fr",
        languages=("fr", "nl", "de", "en"),
        commune_name="Démo",
        prompt_key="documents.prompt",
        offered=(
            OfferedDocument(
                document_type="household", title_key="document.household", price_cents=250
            ),
            OfferedDocument(document_type="life", title_key="document.life", price_cents=0),
        ),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_a_journey_is_spoken_screen_by_screen_and_never_the_pin(rig: Rig) -> None:
    said = spoken(rig)
    c = rig.controller
    assert rig.to_pin(language="nl").state is S.PIN
    view = rig.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    c.toggle_document("household")
    c.confirm_documents()
    c.confirm_summary()
    rig.pump()
    c.documents_taken()
    rig.fakes.card.remove()
    screens = [u.screen for u in said if u.cue is Cue.SCREEN]
    assert screens[:3] == ["language", "insert_card", "reading"]
    assert {"pin", "choose_documents", "summary", "take_documents", "remove_card"} <= set(screens)
    assert screens[-1] == "attract"
    assert all(u.language == "nl" for u in said if u.screen not in ("language", "attract"))
    pin_said = [u.text for u in said if u.screen == "pin"]
    assert sum(t.startswith("Cijfer ingevoerd.") for t in pin_said) == 4
    assert pin_said[-1] == "Cijfer ingevoerd. U kunt uw code bevestigen."
    assert translate("pin.prompt", "nl") in pin_said[0]
    for u in said:
        assert "1234" not in u.text.replace(" ", "")
    documents = next(u.text for u in said if u.screen == "choose_documents")
    assert translate("document.household", "nl") in documents
    assert "2,50 €" in documents
    assert translate("documents.description.household", "nl") in documents
    chosen = [u.text for u in said if u.screen == "choose_documents" and u.cue is Cue.CHANGE]
    household = translate("document.household", "nl")
    total = translate("summary.total", "nl", total="2,50 €")
    assert chosen == [f"{household} toegevoegd. {total}."]
    summary = next(u.text for u in said if u.screen == "summary")
    assert translate("summary.total", "nl", total="2,50 €") in summary
    done = next(u.text for u in said if u.screen == "take_documents")
    assert translate("speech.documents_issued", "nl", documents=household) in done
    assert translate("speech.amount_paid", "nl", total="2,50 €") in done


@given(
    dots=st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=20),
    lang=st.sampled_from(LANGUAGES),
)
def test_pin_changes_never_say_a_digit_nor_the_count(dots: list[int], lang: str) -> None:
    views = [view_of(S.PIN, prompt_key="pin.prompt", language=lang, pin_dots=n) for n in dots]
    for before, after in itertools.pairwise(views):
        u = change_utterance(before, after)
        if after.pin_dots == before.pin_dots:
            assert u is None
            continue
        assert u is not None
        assert not re.search(r"\d", u.text), u.text
        expected = (
            "speech.digit_entered"
            if after.pin_dots > before.pin_dots
            else ("speech.digit_erased" if after.pin_dots else "speech.pin_empty")
        )
        assert u.text.startswith(translate(expected, lang))


@pytest.mark.parametrize("digit", list("0123456789"))
def test_a_pin_key_in_focus_is_not_named(digit: str) -> None:
    view = view_of(S.PIN, prompt_key="pin.prompt")
    u = focus_utterance(view, FocusTarget(name=f"pin_{digit}", label=f"Chiffre {digit}"))
    assert u.text == "Touche du code."
    assert digit not in u.text


def test_focus_on_a_document_card_says_title_price_description_and_state() -> None:
    view = view_of(S.CHOOSE_DOCUMENTS, selected=("life",), language="de")
    card = focus_utterance(view, FocusTarget(name="doc_life", label="x", checked=True))
    assert card.text == (
        "Lebensbescheinigung, Kostenlos. "
        + translate("documents.description.life", "de")
        + ". Ausgewählt."
    )
    other = focus_utterance(view, FocusTarget(name="doc_household", label="x", checked=False))
    assert other.text.startswith("Haushaltszusammensetzung, 2,50 €.")
    assert other.text.endswith("Nicht ausgewählt.")
    off = focus_utterance(view, FocusTarget(name="docs_confirm", label="Weiter", enabled=False))
    assert off.text == "Weiter. Nicht verfügbar."


def test_the_time_out_warning_is_spoken_with_its_countdown() -> None:
    base = view_of(S.SUMMARY, prompt_key="summary.prompt", language="en")
    seconds: list[int | None] = [None, *range(20, 0, -1), None]
    views = [replace(base, timeout_warning_s=s) for s in seconds]
    said = [change_utterance(a, b) for a, b in itertools.pairwise(views)]
    texts = [u.text for u in said if u is not None]
    assert texts[0] == (
        "Are you still there? The session ends in 20 seconds. "
        "Press any key or touch the screen for more time."
    )
    assert texts[1:-1] == [f"{s} seconds left." for s in COUNTDOWN_AT]
    assert texts[-1] == "More time given."
    assert said[0] is not None
    assert said[0].cue is Cue.TIMEOUT
    # a new screen shown during the warning says it too
    screen = screen_utterance(replace(base, timeout_warning_s=12))
    assert "The session ends in 12 seconds" in screen.text


def test_every_screen_is_spoken_in_every_language(caplog: pytest.LogCaptureFixture) -> None:
    for lang in LANGUAGES:
        for state in S:
            prompt = PROMPT_KEYS[state]
            view = view_of(state, language=lang, prompt_key=prompt, selected=("household",))
            u = screen_utterance(view, focus=FocusTarget(name="start", label="Go"), intro=True)
            assert (u.language, u.screen) == (lang, state.value)
            assert u.text.startswith(translate("speech.mode_on", lang))
            assert u.text.endswith(translate("speech.focus_on", lang, control="Go") + ".")
            assert "{" not in u.text, u.text
    # every key used has a text (a missing one would be spoken as the key itself)
    assert "translation_missing" not in caplog.text


def test_language_and_error_screens() -> None:
    language = screen_utterance(view_of(S.LANGUAGE, prompt_key="language.prompt"))
    assert language.text == (
        "Choisissez votre langue. Langues : Français, Nederlands, Deutsch, English."
    )
    error = screen_utterance(
        view_of(
            S.ERROR,
            prompt_key="error.title",
            error_key="error.claim_refunded",
            error_params={"claim": "K7-42"},
            claim_code="K7-42",
        )
    )
    assert translate("error.claim_refunded", "fr", claim="K7-42") in error.text
    assert translate("error.claim_label", "fr", claim="K7-42") in error.text


def test_volume_and_speed_levels_stay_in_range_and_reset() -> None:
    levels = VoiceLevels()
    assert (levels.amplitude, levels.words_per_minute) == (100, 175)
    assert AMPLITUDES[0] * 4 == levels.amplitude  # the default is 12 dB above the lowest step
    loud = levels.louder(10)
    assert loud.amplitude == AMPLITUDES[-1] == 200
    assert levels.louder(-10).amplitude == AMPLITUDES[0]
    assert levels.faster(-10).words_per_minute == RATES[0]
    view = view_of(S.PIN, prompt_key="pin.prompt", language="nl")
    assert setting_utterance(view, loud, volume=True).text == "Volume 4 van 4."
    assert setting_utterance(view, levels.faster(1), volume=False).text == "Snelheid 4 van 5."
    assert VoiceLevels() == levels


def state(c: JourneyController) -> SessionState:
    return c.state


def test_audio_mode_doubles_the_time_out(rig: Rig) -> None:
    c = rig.controller
    c.timeout_factor = TIMEOUT_FACTOR
    rig.to_pin()
    rig.clock.now += 100  # past the 60 s of the PIN screen, within 120
    c.tick()
    assert state(c) is S.PIN
    assert c.view.timeout_warning_s == 20
    rig.clock.now += 20
    c.tick()
    assert state(c) is S.REMOVE_CARD
    c.timeout_factor = 1.0
    rig.fakes.card.remove()
    c.touch()
    rig.clock.now += 61
    c.tick()
    assert state(c) is S.ATTRACT


def test_what_the_screen_already_said_is_not_said_again() -> None:
    issuing = view_of(S.ISSUING, prompt_key="issuing.prompt", selected=("household", "life"))
    first = replace(issuing, issued=("household",), progress=0.5)
    second = replace(first, issued=("household", "life"), progress=1.0)
    assert change_utterance(issuing, first) is None  # "document 1 of 2" was on the screen
    progress = change_utterance(first, second)
    assert progress is not None
    assert progress.text == "Document 2 sur 2."
    paying = view_of(S.PAYMENT, prompt_key="payment.prompt")
    prompted = replace(paying, payment_prompt_key="payment.status.insert_card")
    assert change_utterance(paying, prompted) is None
    pin = change_utterance(prompted, replace(prompted, payment_prompt_key="payment.enter_pin"))
    assert pin is not None
    assert pin.text == translate("payment.enter_pin", "fr") + "."

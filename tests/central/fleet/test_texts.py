"""The alerts' details in words: what an operator reads in the console and in the alert mails."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.fleet.alerts import FAULT_STATES
from central.fleet.texts import LANGUAGES, catalogue, describe, duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (59.4, "59 s"),
        (90.3, "1 min 30 s"),
        (120, "2 min"),
        (725, "12 min"),
        (5400, "1 h 30 min"),
        (7200, "2 h"),
        (3 * 86400 + 4 * 3600, "3 d 4 h"),
    ],
)
def test_a_duration_reads_as_a_person_says_it(seconds: float, shown: str) -> None:
    assert duration(seconds, "en") == shown


@pytest.mark.parametrize(
    ("language", "worded"),
    [
        ("en", "silent for 1 min 30 s"),
        ("fr", "sans nouvelles depuis 1 min 30 s"),
        ("nl", "al 1 min 30 s zonder teken van leven"),
    ],
)
def test_the_offline_alert_says_how_long_the_kiosk_was_silent(language: str, worded: str) -> None:
    assert describe("silent_s=90.3", language) == worded


def test_each_detail_the_fleet_writes_has_its_words() -> None:
    assert describe("days_until_empty=0.75", "fr") == "papier pour environ 0,8 jours"
    assert describe("days_until_empty=2.0", "en") == "paper for about 2 days"
    assert describe("oldest_age_s=5400 backlog=3", "en") == (
        "the oldest waiting for 1 h 30 min, 3 records waiting"
    )
    assert describe("skew_s=-185", "nl") == "klok 3 min 5 s achter"
    assert describe("skew_s=3700", "fr") == "horloge en avance de 1 h 1 min"
    assert describe("not_after=2027-01-05", "nl") == "geldig tot 2027-01-05"
    assert describe("state=jammed", "en") == "state: paper jam"
    assert describe("state=door_open", "fr") == "état : porte ouverte"
    assert describe("state=warming_up", "nl") == "toestand: warming_up"  # not a fault state
    assert describe("operation_id=op-1", "fr") == "paiement op-1"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fault_state_has_its_words_in_every_language(language: str) -> None:
    assert {f"fleet.state.{state}" for state in FAULT_STATES} <= set(catalogue(language))


def test_a_help_call_names_the_screen_the_reason_and_the_local_time() -> None:
    detail = "screen=pin reason=card_stuck at=2026-12-08T09:14:00+00:00"
    assert describe(detail, "en", moment=lambda at: at.strftime("%H:%M")) == (
        "on the 'pin' screen, card stuck, at 09:14"
    )
    assert describe(detail, "fr").startswith("à l'écran « pin », carte coincée, à 2026-12-08T09:14")


def test_words_without_a_wording_or_with_a_figure_that_does_not_parse_are_kept() -> None:
    assert describe("kiosk=100 terminal=90", "en") == "kiosk=100, terminal=90"
    assert describe("silent_s=soon", "en") == "silent_s=soon"
    assert describe("silent_s=inf skew_s=nan", "en") == "silent_s=inf, skew_s=nan"
    assert describe("reason=new_reason", "en") == "new_reason"
    assert describe("", "en") == ""


@given(
    st.lists(
        st.one_of(
            st.text(
                alphabet=st.characters(blacklist_characters="="),
                min_size=1,
                max_size=12,
            ),
            st.builds(
                "{}={}".format,
                st.sampled_from(["silent_s", "skew_s", "at", "not_after", "backlog", "other"]),
                st.text(max_size=12).filter(lambda v: not any(c.isspace() for c in v)),
            ),
        ),
        max_size=6,
    ),
    st.sampled_from(LANGUAGES),
)
def test_any_detail_is_shown_and_words_without_a_wording_kept_as_they_are(
    words: list[str], language: str
) -> None:
    shown = describe(" ".join(words), language, moment=datetime.isoformat)
    for word in " ".join(words).split():
        if "=" not in word or word.startswith("other="):
            assert word in shown

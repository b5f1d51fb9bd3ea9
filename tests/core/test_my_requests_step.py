"""My requests through the journey controller with fake ports: offered once the card has proved
its holder, a fresh nonce signed by the card for the list, the newest shown with their codes, back
to the choice; a central that does not answer is a notice, and nothing of the list is logged or
outlives the session."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.flows.my_requests import MY_REQUESTS, MY_REQUESTS_LOADING, SHOWN, row_parts, shown_date
from kiosk.ports import EarlierDocument
from kiosk.session import TRANSITIONS, SessionState
from offline_queue.errors import CentralUnavailable
from tests.core.fakes import NATIONAL_NUMBER, Rig

S = SessionState
LATE_EVENING = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)  # already the 12th in Brussels


def _earlier(n: int) -> tuple[EarlierDocument, ...]:
    return tuple(
        EarlierDocument(
            document_id=f"doc-{i}",
            document_type="household" if i % 2 else "life",
            issued_at=LATE_EVENING - timedelta(days=i),
            commune="Démo-sur-Meuse",
            verification_code=f"AB{i:02d}-CDEF-GHJK",
        )
        for i in range(n)
    )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path, citizen=True, household=250, life=0)
    yield r
    r.fakes.completer.close()


def _to_choice(rig: Rig) -> None:
    rig.to_pin(language="fr")
    view = rig.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    assert view.requests_offered


def test_the_list_is_released_against_a_fresh_proof_and_shown_newest_first(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig.requests.documents = _earlier(3)
    _to_choice(rig)
    proofs_before = list(rig.fakes.card.proved)
    rig.controller.open_my_requests()
    view = rig.pump()
    assert view.state is MY_REQUESTS
    assert [d.document_id for d in view.earlier] == ["doc-0", "doc-1", "doc-2"]
    assert not view.earlier_more
    (asked,) = rig.requests.asked
    assert asked[0] == NATIONAL_NUMBER
    assert asked[1] not in proofs_before  # a nonce of its own, signed by the card now
    assert rig.fakes.card.proved[-1] == asked[1]
    assert row_parts(view.earlier[0], "fr") == (  # doc-0 is a certificate of life
        f"{_title('life')} — 12/03/2026",
        "Code AB00-CDEF-GHJK · Démo-sur-Meuse",
    )
    rig.controller.back()
    view = rig.pump()
    assert (view.state, view.earlier, view.requests_offered) == (S.CHOOSE_DOCUMENTS, (), True)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "my_requests_listed" in logged
    assert "AB00" not in logged
    assert "doc-1" not in logged


def _title(kind: str) -> str:
    from kiosk.i18n import translate  # noqa: PLC0415

    return translate(f"document.{kind}", "fr")


def test_a_long_list_is_cut_to_the_newest_and_says_so(rig: Rig) -> None:
    rig.requests.documents = _earlier(SHOWN + 3)
    _to_choice(rig)
    rig.controller.open_my_requests()
    view = rig.pump()
    assert len(view.earlier) == SHOWN
    assert view.earlier_more


def test_a_central_that_does_not_answer_is_a_notice_on_the_choice(rig: Rig) -> None:
    rig.requests.fail_with = CentralUnavailable("down", params={"status": "503"})
    _to_choice(rig)
    rig.controller.open_my_requests()
    view = rig.pump()
    assert (view.state, view.notice_key) == (S.CHOOSE_DOCUMENTS, "my_requests.unavailable")
    rig.controller.toggle_document("household")  # the order goes on as before
    rig.controller.confirm_documents()
    assert rig.pump().state is S.SUMMARY


def test_the_card_taken_out_on_the_list_ends_the_session_and_the_list(rig: Rig) -> None:
    rig.requests.documents = _earlier(2)
    _to_choice(rig)
    rig.controller.open_my_requests()
    assert rig.pump().state is MY_REQUESTS
    session = rig.controller_session()
    rig.fakes.card.remove()
    assert rig.pump().state is S.ATTRACT
    assert session.earlier == ()


def test_none_yet_and_no_port_no_button(rig: Rig, tmp_path: Path) -> None:
    _to_choice(rig)
    rig.controller.open_my_requests()
    view = rig.pump()
    assert (view.state, view.earlier) == (MY_REQUESTS, ())
    plain = Rig(tmp_path / "plain", household=250)
    plain.to_pin()
    view = plain.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    assert not view.requests_offered
    plain.controller.open_my_requests()
    assert plain.pump().state is S.CHOOSE_DOCUMENTS


def test_the_steps_hang_off_the_document_choice() -> None:
    assert MY_REQUESTS_LOADING in TRANSITIONS[S.CHOOSE_DOCUMENTS]
    assert MY_REQUESTS in TRANSITIONS[MY_REQUESTS_LOADING]
    assert S.CHOOSE_DOCUMENTS in TRANSITIONS[MY_REQUESTS]
    assert S.PAYMENT not in TRANSITIONS[MY_REQUESTS] | TRANSITIONS[MY_REQUESTS_LOADING]


def test_dates_are_brussels_days_in_the_residents_way() -> None:
    assert shown_date(LATE_EVENING, "fr") == "12/03/2026"
    assert shown_date(LATE_EVENING, "de") == "12.03.2026"
    summer = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # CEST: 00:30 the next day
    assert shown_date(summer, "nl") == "02/07/2026"

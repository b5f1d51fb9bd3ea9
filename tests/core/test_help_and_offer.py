"""The journey a person expects, on the pure controller: Help calls staff and the kiosk stays in
service; a card left behind is reported; documents this resident cannot get are greyed with their
reason and cannot be chosen nor paid; the welcome screen never keeps the last resident's language."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.fleet.calls import StaffCallBoard
from kiosk.journey import JourneyController
from kiosk.ports import HouseholdMember, Presence, RegisterExtract, StaffCall
from kiosk.session import SessionState as S
from offline_queue.wire import ResidentCallKind
from printing.model import AddressPeriod
from tests.core.fakes import ADDRESS, NATIONAL_NUMBER, Ids, Rig, make_settings

AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def _with_calls(rig: Rig, board: StaffCallBoard, **prices: int) -> JourneyController:
    controller = JourneyController(
        ports=dataclasses.replace(rig.fakes.ports, calls=board),
        settings=make_settings(**prices),
        post=rig.poster,
        clock=rig.clock,
        ids=Ids(),
    )
    rig.controller = controller
    rig.fakes.card.watch(controller.card_event)
    return controller


def now(controller: JourneyController) -> S:
    return controller.state  # read afresh (mypy narrows a property after a first assert)


@pytest.fixture
def board() -> StaffCallBoard:
    return StaffCallBoard(clock=lambda: AT)


def test_help_on_the_pin_screen_calls_staff_and_the_journey_goes_on(
    tmp_path: Path, board: StaffCallBoard
) -> None:
    rig = Rig(tmp_path)
    c = _with_calls(rig, board)
    nudges: list[int] = []
    board.nudge = lambda: nudges.append(1)
    assert rig.to_pin().state is S.PIN
    c.request_help("card_stuck")
    assert c.view.help_called
    assert now(c) is S.PIN  # in service: no staff alert, nothing stops
    assert not c.alerts
    assert nudges == [1]
    (sent,) = board.outgoing()
    assert (sent.kind, sent.screen, sent.reason, sent.raised_at) == (
        ResidentCallKind.HELP_REQUESTED,
        "pin",
        "card_stuck",
        AT,
    )
    assert NATIONAL_NUMBER not in sent.model_dump_json()
    assert rig.enter_pin("1234").state is S.CHOOSE_DOCUMENTS
    assert c.view.help_called  # said until the session ends
    board.delivered()
    assert board.outgoing() == ()
    c.cancel()
    rig.fakes.card.remove()
    rig.pump()
    c.touch()
    assert now(c) is S.LANGUAGE
    assert not c.view.help_called  # the next resident starts afresh


def test_a_reason_not_on_the_list_calls_no_one(tmp_path: Path, board: StaffCallBoard) -> None:
    rig = Rig(tmp_path)
    c = _with_calls(rig, board)
    rig.to_pin()
    c.request_help("Marie Dupont 85031412345")
    assert not c.view.help_called
    assert board.pending == 0


def test_a_heartbeat_that_failed_keeps_the_call_and_a_later_call_waits_for_its_own(
    board: StaffCallBoard,
) -> None:
    board.call(StaffCall(kind="help_requested", screen="pin", reason="need_help"))
    assert len(board.outgoing()) == 1  # that heartbeat failed: no delivered()
    assert len(board.outgoing()) == 1
    board.call(StaffCall(kind="help_requested", screen="summary", reason="no_paper"))
    board.delivered()  # acknowledged the heartbeat built before the second call
    (left,) = board.outgoing()
    assert left.screen == "summary"


def test_a_card_left_after_the_reminder_is_reported_once(
    tmp_path: Path, board: StaffCallBoard
) -> None:
    rig = Rig(tmp_path)
    c = _with_calls(rig, board)
    rig.to_pin()
    c.cancel()
    assert now(c) is S.REMOVE_CARD
    rig.clock.now += 31
    c.tick()
    assert c.view.prompt_key == "remove_card.alert"
    rig.clock.now += 31
    c.tick()
    (call,) = board.outgoing()
    assert (call.kind, call.screen) == (ResidentCallKind.CARD_LEFT_BEHIND, "remove_card")
    assert now(c) is S.REMOVE_CARD
    assert not c.alerts


def _foreign_register(rig: Rig, *, nationality: str, history: int) -> None:
    """The register's entry for the holder: another nationality, with or without a history."""

    def extract(national_number: str, presence: Presence) -> Future[RegisterExtract]:
        member = HouseholdMember(
            national_number=NATIONAL_NUMBER,
            surname="Rossi",
            first_names="Chiara",
            birth_date=date(1994, 1, 17),
            sex="F",
            nationality=nationality,
            relation="reference",
            address_history=tuple(
                AddressPeriod(address=ADDRESS, start=date(2000 + i, 1, 1)) for i in range(history)
            ),
        )
        done: Future[RegisterExtract] = Future()
        done.set_result(RegisterExtract(household_id="H1", address=ADDRESS, members=(member,)))
        return done

    rig.fakes.register.extract = extract  # type: ignore[method-assign]


def test_an_eu_citizen_sees_the_nationality_certificate_greyed_and_cannot_pay_for_it(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, household=250, nationality=250, residence_history=300)
    _foreign_register(rig, nationality="IT", history=0)
    c = rig.controller
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert view.state is S.CHOOSE_DOCUMENTS
    greyed = {o.document_type: o.reason_key for o in view.offered if not o.available}
    assert greyed == {
        "nationality": "documents.unavailable.not_belgian",
        "residence_history": "documents.unavailable.no_history",
    }
    c.toggle_document("nationality")
    c.toggle_document("residence_history")
    assert c.view.selected == ()
    c.confirm_documents()
    assert now(c) is S.CHOOSE_DOCUMENTS  # nothing chosen, nothing to pay
    c.toggle_document("household")
    c.confirm_documents()
    c.confirm_summary()
    rig.pump()
    assert now(c) is S.TAKE_DOCUMENTS
    assert rig.fakes.payment.net_charged == 250
    assert rig.fakes.printer.printed == ["household"]
    assert rig.fakes.payment.reversed == []  # never paid then refunded


def test_a_belgian_with_an_address_history_is_offered_everything(tmp_path: Path) -> None:
    rig = Rig(tmp_path, household=250, nationality=250, residence_history=300)
    _foreign_register(rig, nationality="BE", history=2)
    rig.to_pin()
    view = rig.enter_pin("1234")
    assert all(o.available and o.reason_key is None for o in view.offered)


def test_the_welcome_screen_speaks_the_communes_languages_not_the_last_residents(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    c = rig.controller
    rig.to_pin(language="nl")
    assert c.view.language == "nl"
    c.cancel()
    assert now(c) is S.REMOVE_CARD
    rig.fakes.card.remove()
    rig.pump()
    assert now(c) is S.ATTRACT
    assert c.view.language == "fr"  # the kiosk's first language, not the last resident's
    assert c.view.commune_languages == ("fr", "nl", "de")


def test_the_card_comes_back_before_the_documents(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    c = rig.controller
    rig.to_pin()
    rig.enter_pin("1234")
    c.toggle_document("life")
    c.confirm_documents()
    c.confirm_summary()
    view = rig.pump()
    assert (view.state, view.prompt_key) == (S.TAKE_DOCUMENTS, "take_documents.take_card_first")
    rig.fakes.card.remove()
    view = rig.pump()
    assert (view.state, view.prompt_key) == (S.TAKE_DOCUMENTS, "take_documents.prompt")
    c.documents_taken()
    assert now(c) is S.ATTRACT  # no "remove your card" left to say

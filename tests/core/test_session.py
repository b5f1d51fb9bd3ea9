from __future__ import annotations

import itertools
import logging

import pytest

from kiosk.session import (
    COMMITTED_STATES,
    TRANSITIONS,
    IllegalTransition,
    SessionMachine,
    SessionState,
)

S = SessionState
ALL_PAIRS = list(itertools.product(SessionState, SessionState))


def test_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(SessionState)
    for targets in TRANSITIONS.values():
        assert targets <= set(SessionState)


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_every_pair_is_legal_exactly_as_declared(
    source: SessionState, target: SessionState
) -> None:
    machine = SessionMachine(initial=source)
    seen: list[tuple[SessionState, SessionState]] = []
    machine.add_listener(lambda a, b: seen.append((a, b)))
    if target in TRANSITIONS[source]:
        machine.go(target, reason="test")
        assert machine.state is target
        assert seen == [(source, target)]
    else:
        with pytest.raises(IllegalTransition):
            machine.go(target, reason="test")
        assert machine.state is source
        assert seen == []


@pytest.mark.parametrize("state", list(SessionState), ids=lambda s: s.value)
def test_error_reachable_from_everywhere(state: SessionState) -> None:
    assert (S.ERROR in TRANSITIONS[state]) is (state not in (S.ERROR, S.OUT_OF_SERVICE))


@pytest.mark.parametrize("state", list(SessionState), ids=lambda s: s.value)
def test_wipe_to_attract_from_everywhere_but_committed(state: SessionState) -> None:
    expected = state is not S.ATTRACT and state not in COMMITTED_STATES
    assert (S.ATTRACT in TRANSITIONS[state]) is expected


def test_no_state_transitions_to_itself() -> None:
    for state, targets in TRANSITIONS.items():
        assert state not in targets


def test_committed_order_ends_in_documents_or_reversal() -> None:
    assert TRANSITIONS[S.ISSUING] == {S.TAKE_DOCUMENTS, S.REVERSING, S.ERROR}
    assert TRANSITIONS[S.REVERSING] == {S.ERROR}


def test_every_state_reachable_from_attract() -> None:
    reached = {S.ATTRACT}
    frontier = [S.ATTRACT]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(SessionState)


def test_state_change_is_logged_without_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    machine = SessionMachine()
    with caplog.at_level(logging.INFO, logger="kiosk.session"):
        machine.go(S.LANGUAGE, reason="start")
    (record,) = [r for r in caplog.records if r.getMessage() == "state_change"]
    assert record.__dict__["from"] == "attract"
    assert record.__dict__["to"] == "language"


def test_out_of_service_is_left_only_for_attract() -> None:
    assert TRANSITIONS[S.OUT_OF_SERVICE] == {S.ATTRACT}


@pytest.mark.parametrize("state", list(SessionState), ids=lambda s: s.value)
def test_out_of_service_follows_wherever_a_session_may_end(state: SessionState) -> None:
    expected = state is not S.OUT_OF_SERVICE and state not in COMMITTED_STATES
    assert (S.OUT_OF_SERVICE in TRANSITIONS[state]) is expected

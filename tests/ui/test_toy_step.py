"""A new journey step is one declaration plus its screen module.

The toy step's screen lives in a package written to a temporary folder; its declaration is made
here. Nothing else is edited: the session states, the transition table, the prompt keys, the
time-outs, the personal-data states and the window's screens all pick it up.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.flows.timeouts import Inactivity, Verdict
from kiosk.i18n import translate
from kiosk.journey_settings import DEFAULT_TIMEOUTS_S
from kiosk.session import (
    INTERACTIVE_STATES,
    PERSONAL_DATA_STATES,
    TRANSITIONS,
    SessionMachine,
    SessionState,
)
from kiosk.steps import Step, declare_step, withdraw_step
from kiosk.view import PROMPT_KEYS
from tests.core.fakes import ManualClock
from tests.ui.conftest import UiRig

S = SessionState

TOY_SCREEN = '''
"""A toy step's screen: a title and a Cancel button."""

from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController
from ui.screens.base import Screen


class ToyScreen(Screen):
    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, cancellable=True, parent=parent)
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionState]:
    package = tmp_path / "toy_step"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "screen.py").write_text(textwrap.dedent(TOY_SCREEN), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    state = SessionState.declare("toy")
    try:
        declare_step(
            Step(
                state=state,
                screen="toy_step.screen:ToyScreen",
                prompt_key="documents.prompt",
                timeout_s=45.0,
                personal_data=True,
                entered_from=frozenset({S.CHOOSE_DOCUMENTS}),
                forward=frozenset({S.SUMMARY}),
            )
        )
        yield state
    finally:
        withdraw_step(state)
        sys.modules.pop("toy_step.screen", None)
        sys.modules.pop("toy_step", None)


def test_a_declared_step_joins_the_session_machine(toy: SessionState) -> None:
    assert SessionState("toy") is toy
    assert toy in list(SessionState)
    assert toy in TRANSITIONS[S.CHOOSE_DOCUMENTS]
    assert TRANSITIONS[toy] == {S.SUMMARY, S.ERROR, S.ATTRACT, S.OUT_OF_SERVICE}
    assert toy in PERSONAL_DATA_STATES
    assert toy in INTERACTIVE_STATES
    machine = SessionMachine(initial=S.CHOOSE_DOCUMENTS)
    machine.go(toy, reason="documents_chosen")
    machine.go(S.SUMMARY, reason="toy_done")
    assert machine.state is S.SUMMARY


def test_a_declared_step_has_its_prompt_and_time_out(toy: SessionState) -> None:
    assert PROMPT_KEYS[toy] == "documents.prompt"
    assert DEFAULT_TIMEOUTS_S[toy] == 45.0
    clock = ManualClock()
    inactivity = Inactivity(clock=clock)
    clock.now += 45.0
    verdict = inactivity.check(toy, limits=DEFAULT_TIMEOUTS_S, warn_within_s=20.0)
    assert verdict is Verdict.TIMED_OUT


def test_a_declared_step_gets_its_screen_in_the_window(toy: SessionState, ui: UiRig) -> None:
    screen = ui.window.screens[toy]
    assert type(screen).__name__ == "ToyScreen"
    assert screen.objectName() == "screen_toy"
    view = replace(ui.controller.view, state=toy, prompt_key=PROMPT_KEYS[toy])
    ui.window.show_view(view)
    assert ui.window.stack.currentWidget() is screen
    assert screen.prompt.text() == translate("documents.prompt", view.language)


def test_a_withdrawn_step_leaves_no_trace() -> None:
    assert "toy" not in {s.value for s in SessionState}
    with pytest.raises(ValueError, match="not a declared session state"):
        SessionState("toy")
    assert all(s.value != "toy" for s in TRANSITIONS[S.CHOOSE_DOCUMENTS])

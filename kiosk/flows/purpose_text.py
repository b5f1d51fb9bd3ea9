"""The typed purpose: "Other purpose…" on the purpose step opens the on-screen keyboard.

The resident types what the certificates are for (`printing.documents.purposes.free_purpose`:
at most 80 Latin letters, digits, spaces and basic punctuation). A text the kiosk does not take
keeps the step, with a translated notice (`purpose_text.<problem>`). The text lives in the
session only (`SessionData.purpose_text`, code "other"), is shown on the summary, spoken in the
audio mode and printed "Délivré pour servir à : <text>."; the logs only say that a purpose was
typed ("free_purpose_given"), never what.

Entered from the purpose step, it leads to the summary, or back to the purpose step.
"""

from __future__ import annotations

import logging

from kiosk.flows.purpose import PURPOSE
from kiosk.session import SessionData, SessionState
from kiosk.steps import Step, declare_step
from printing.documents.purposes import (
    FREE_PURPOSE_MAX,
    OTHER,
    FreePurposeProblem,
    InvalidFreePurpose,
    free_purpose,
    free_purpose_char,
)

__all__ = [
    "FREE_PURPOSE_MAX",
    "OTHER",
    "PURPOSE_TEXT",
    "free_purpose_char",
    "give",
    "problem_key",
]

log = logging.getLogger(__name__)

S = SessionState

PURPOSE_TEXT = SessionState.declare("purpose_text")
declare_step(
    Step(
        state=PURPOSE_TEXT,
        screen="ui.screens.purpose_text:PurposeTextScreen",
        prompt_key="purpose_text.prompt",
        timeout_s=120.0,
        personal_data=True,
        entered_from=frozenset({PURPOSE}),
        forward=frozenset({PURPOSE, S.SUMMARY, S.REMOVE_CARD}),
    )
)


def problem_key(problem: FreePurposeProblem) -> str:
    """The translation key of the notice for a refused text."""
    return f"purpose_text.{problem.value}"


def give(session: SessionData, text: str) -> bool:
    """Keep `text` as the session's purpose (True), or set the notice saying why not (False)."""
    try:
        cleaned = free_purpose(text)
    except InvalidFreePurpose as err:
        session.notice_key = problem_key(err.problem)
        log.info("free_purpose_refused", extra={"problem": err.problem.value})
        return False
    session.notice_key = None
    session.purpose = OTHER
    session.purpose_text = cleaned
    log.info("free_purpose_given")
    return True

"""The purpose step: after the document choice, the resident says what the certificates are for.

The kiosk offers a short list (`JourneySettings.purposes`, codes of
`printing.documents.purposes.PURPOSE_CODES`); "not stated" prints nothing, "other" opens the
on-screen keyboard (`kiosk.flows.purpose_text`). An empty list skips the step. The chosen code
lives in the session and is printed in the certificate's language ("Délivré pour servir à : un
employeur."), a typed purpose as typed.

The step is declared here (`kiosk.steps.declare_step`): entered from the document choice (and
from the summary, going back), it leads to the summary or back to the document choice.
`kiosk.flows.choice.ChoiceFlow` moves the resident between the document choice, this step and the
summary.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kiosk.i18n import translate
from kiosk.session import SessionState
from kiosk.steps import Step, declare_step
from printing.documents.purposes import (
    NOT_STATED,
    OTHER,
    PURPOSE_CODES,
    InvalidFreePurpose,
    UnknownPurpose,
    free_purpose,
    printed_purpose,
)

__all__ = [
    "DEFAULT_PURPOSES",
    "NOT_STATED",
    "PURPOSE",
    "accepts",
    "after_documents",
    "printed",
    "purpose_key",
    "stated",
    "validate",
]

log = logging.getLogger(__name__)

S = SessionState

PURPOSE = SessionState.declare("purpose")
declare_step(
    Step(
        state=PURPOSE,
        screen="ui.screens.purpose:PurposeScreen",
        prompt_key="purpose.prompt",
        timeout_s=90.0,
        personal_data=True,
        entered_from=frozenset({S.CHOOSE_DOCUMENTS, S.SUMMARY}),
        forward=frozenset({S.CHOOSE_DOCUMENTS, S.SUMMARY, S.REMOVE_CARD}),
    )
)

DEFAULT_PURPOSES: tuple[str, ...] = PURPOSE_CODES
"""What a kiosk offers unless its configuration says otherwise."""


def purpose_key(code: str) -> str:
    """The translation key of a purpose's button on the screen."""
    return f"purpose.{code}"


def stated(code: str, text: str, language: str) -> str:
    """The purpose as the summary shows and speaks it in `language` ("" when none was given)."""
    if code in ("", NOT_STATED):
        return ""
    if code == OTHER:
        return text
    return translate(purpose_key(code), language)


def after_documents(purposes: Sequence[str]) -> SessionState:
    """The state that follows the document choice: the purpose step when any purpose is offered."""
    return PURPOSE if purposes else S.SUMMARY


def accepts(purposes: Sequence[str], code: str) -> bool:
    """Whether `code` is one of the purposes this kiosk offers."""
    return code in purposes


def printed(code: str, language: str, *, text: str = "") -> str:
    """The purpose as printed on a certificate in `language` ("" when none was given); a typed
    one (code "other") as typed.

    A purpose without wording in `language` is left out (logged): the certificate is still right.
    """
    try:
        if code == OTHER:
            return free_purpose(text)
        return printed_purpose(code or NOT_STATED, language)
    except (UnknownPurpose, InvalidFreePurpose):
        log.warning("purpose_not_printed", extra={"purpose": code, "language": language})
        return ""


def validate(purposes: Sequence[str]) -> tuple[str, ...]:
    """The offered purposes, checked against the known codes; raises `ValueError` otherwise."""
    unknown = [code for code in purposes if code not in PURPOSE_CODES]
    if unknown:
        msg = f"unknown purposes: {', '.join(unknown)} (known: {', '.join(PURPOSE_CODES)})"
        raise ValueError(msg)
    if len(set(purposes)) != len(purposes):
        msg = "a purpose is listed twice"
        raise ValueError(msg)
    return tuple(purposes)

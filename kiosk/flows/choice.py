"""The resident's choices: the documents and their language, the purpose, then the summary.

`ChoiceFlow` moves forward from the document choice (to the purpose step when the kiosk asks a
purpose, `kiosk.flows.purpose`, else to the summary) and back from the summary and the purpose step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kiosk.flows import purpose_text
from kiosk.flows.host import Host
from kiosk.flows.purpose import PURPOSE, accepts, after_documents
from kiosk.flows.purpose_text import OTHER, PURPOSE_TEXT
from kiosk.journey_settings import JourneySettings
from kiosk.offer import may_choose
from kiosk.session import SessionState
from kiosk.view import OfferedDocument

S = SessionState


class ChoiceFlow:
    """The document choice, the purpose step and the summary; `activity` postpones the time-out."""

    def __init__(
        self,
        *,
        host: Host,
        settings: Callable[[], JourneySettings],
        offered: Callable[[], Sequence[OfferedDocument]],
        activity: Callable[[], None],
    ) -> None:
        self._host = host
        self._settings = settings
        self._offered = offered
        self._activity = activity

    def toggle_document(self, document_type: str) -> None:
        if self._host.state() is not S.CHOOSE_DOCUMENTS:
            return
        if not may_choose(tuple(self._offered()), document_type):  # greyed for this resident
            return
        prices = self._settings().catalogue.prices_cents
        if self._host.session().toggle_document(document_type, offered=tuple(prices)):
            self._activity()

    def set_document_language(self, code: str) -> None:
        if code in self._settings().catalogue.languages:
            self._host.session().document_language = code
        self._activity()

    def confirm_documents(self) -> None:
        """Documents chosen: the purpose step, or the summary when the kiosk asks none."""
        if self._host.state() is S.CHOOSE_DOCUMENTS and self._host.session().selected:
            self._host.go(after_documents(self._settings().purposes), reason="documents_chosen")

    def choose_purpose(self, code: str) -> None:
        """The resident gave the purpose `code` (one of those offered): on to the summary."""
        if self._host.state() is PURPOSE and accepts(self._settings().purposes, code):
            if code == OTHER:  # typed on the on-screen keyboard
                self._host.go(PURPOSE_TEXT, reason="purpose_other")
                return
            self._host.session().purpose = code
            self._host.session().purpose_text = ""
            self._host.go(S.SUMMARY, reason="purpose_chosen")

    def give_purpose_text(self, text: str) -> None:
        """The resident typed a purpose: on to the summary, or a notice saying what is wrong."""
        if self._host.state() is not PURPOSE_TEXT:
            return
        if purpose_text.give(self._host.session(), text):
            self._host.go(S.SUMMARY, reason="purpose_typed")
        else:
            self._activity()

    def back(self) -> None:
        """Back from the summary (to the purpose step, if asked) or from the purpose step."""
        state = self._host.state()
        if state is S.SUMMARY:
            self._host.go(after_documents(self._settings().purposes), reason="back")
        elif state is PURPOSE:
            self._host.go(S.CHOOSE_DOCUMENTS, reason="back")
        elif state is PURPOSE_TEXT:
            self._host.session().notice_key = None
            self._host.go(PURPOSE, reason="back")

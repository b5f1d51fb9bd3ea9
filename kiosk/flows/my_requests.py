"""My requests: from the document choice, the resident sees the documents they obtained before, at
this kiosk or another of the commune, with the code printed on each (to check it online).

The central keeps them under the resident's holder reference and releases them only against a
fresh proof of the card, exactly as it releases the register extract (`central.citizen_services`):
a new nonce (`RegisterPort.challenge`), the card signs it (`CardPort.prove_presence`, the PIN
verified already), then `Ports.requests`. The list lives in the session (`SessionData.earlier`)
and is wiped with the rest of it; the logs say how many, never which.

Two steps, declared here: MY_REQUESTS_LOADING (the wait) and MY_REQUESTS (the list), both back to
the document choice. A central that does not answer brings the resident back to the choice with a
notice: nothing they came for depends on it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from hardware.errors import BorneError
from kiosk.flows.host import HostedFlow
from kiosk.i18n import translate
from kiosk.ports import EarlierDocument, EarlierDocuments, Presence
from kiosk.session import SessionData, SessionState
from kiosk.steps import Step, declare_step

__all__ = [
    "MY_REQUESTS",
    "MY_REQUESTS_LOADING",
    "SHOWN",
    "MyRequestsFlow",
    "offered",
    "row_parts",
    "shown_date",
]

log = logging.getLogger(__name__)

S = SessionState

MY_REQUESTS_LOADING = SessionState.declare("my_requests_loading")
MY_REQUESTS = SessionState.declare("my_requests")
declare_step(
    Step(
        state=MY_REQUESTS_LOADING,
        screen="ui.screens.messages:WaitScreen",
        prompt_key="my_requests_loading.prompt",
        personal_data=True,
        entered_from=frozenset({S.CHOOSE_DOCUMENTS}),
        forward=frozenset({S.CHOOSE_DOCUMENTS, S.REMOVE_CARD}),
    )
)
declare_step(
    Step(
        state=MY_REQUESTS,
        screen="ui.screens.my_requests:MyRequestsScreen",
        prompt_key="my_requests.prompt",
        timeout_s=90.0,
        personal_data=True,
        entered_from=frozenset({MY_REQUESTS_LOADING}),
        forward=frozenset({S.CHOOSE_DOCUMENTS, S.REMOVE_CARD}),
    )
)

SHOWN: Final = 8
"""The newest documents listed (the screen says when there are more)."""
KEY_UNAVAILABLE: Final = "my_requests.unavailable"


BRUSSELS: Final = ZoneInfo("Europe/Brussels")


def shown_date(when: datetime, language: str) -> str:
    """The day a document was issued, in Belgian time, as the resident reads dates."""
    local = when.astimezone(BRUSSELS)
    return local.strftime("%d.%m.%Y" if language == "de" else "%d/%m/%Y")


def row_parts(document: EarlierDocument, language: str) -> tuple[str, str]:
    """What a row says: "<document> — <day>", then "Code <code> · <commune>" (either may be
    missing)."""
    key = f"document.{document.document_type}"
    title = translate(key, language) if document.document_type else ""
    first = " — ".join(p for p in (title, shown_date(document.issued_at, language)) if p)
    code = (
        translate("my_requests.code", language, code=document.verification_code)
        if document.verification_code
        else ""
    )
    return first, " · ".join(p for p in (code, document.commune) if p)


def offered(session: SessionData, *, requests_port: bool) -> bool:
    """Whether the document choice shows "my requests": a port, and a holder whose card proved."""
    return requests_port and session.holder is not None and session.extract is not None


class MyRequestsFlow(HostedFlow):
    """Used on the controller's thread only."""

    def open(self) -> None:
        """ "My requests" pressed on the document choice."""
        s = self._s
        port = self._ports.requests
        holder = s.holder
        if self.state is not S.CHOOSE_DOCUMENTS or port is None or holder is None:
            return
        s.notice_key = None
        self._go(MY_REQUESTS_LOADING, reason="my_requests_asked")
        number = holder.national_number

        def listed(presence: Presence) -> None:
            self._await(
                lambda: port.citizen_requests(number, presence),
                step="my_requests",
                then=self._listed,
                failed=self._failed,
            )

        def prove(nonce: str) -> None:
            self._await(
                lambda: self._ports.card.prove_presence(nonce),
                step="my_requests_proof",
                then=listed,
                failed=self._failed,
            )

        self._await(
            self._ports.register.challenge,
            step="my_requests_challenge",
            then=prove,
            failed=self._failed,
        )

    def back(self) -> None:
        if self.state is MY_REQUESTS:
            self._go(S.CHOOSE_DOCUMENTS, reason="back")

    def _listed(self, found: EarlierDocuments) -> None:
        s = self._s
        s.earlier = found.documents
        s.earlier_more = found.more
        log.info("my_requests_listed", extra={"count": len(found.documents), "more": found.more})
        if self.state is MY_REQUESTS_LOADING:
            self._go(MY_REQUESTS, reason="my_requests_listed")

    def _failed(self, err: BaseException) -> None:
        key = err.translation_key if isinstance(err, BorneError) else type(err).__name__
        log.warning("my_requests_not_listed", extra={"error_key": key})
        if self.state is MY_REQUESTS_LOADING:
            self._s.notice_key = KEY_UNAVAILABLE
            self._go(S.CHOOSE_DOCUMENTS, reason="my_requests_failed")

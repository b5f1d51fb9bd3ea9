"""The sealed PDFs by e-mail: on the "take your documents" screen, the resident may also have them
sent to an address typed on the on-screen keyboard.

The central sends them (`central.citizen_services`, through `Ports.mail`): one message per
document, the PDF exactly as it was printed and sealed. The kiosk keeps the sealed copies in
memory for the session only (`IssuedDocument.sealed`) and the address only while it is typed and
sent (`SessionData.email_address`); the logs say that a mail was sent or why not, never to whom.
An address the kiosk does not take keeps the step with a notice (`email.<problem>`); a mail the
central cannot send brings the resident back to the documents with a plain notice: the printed
certificates are what counts, so nothing else is asked of them.

Two steps, declared here: EMAIL (the keyboard, entered from TAKE_DOCUMENTS) and EMAILING (the wait,
back to TAKE_DOCUMENTS). As on TAKE_DOCUMENTS, taking the card out does not end the session.
"""

from __future__ import annotations

import logging
from collections.abc import Set
from typing import Final

from hardware.errors import BorneError
from kiosk.flows.host import HostedFlow
from kiosk.ports import IssuedDocument
from kiosk.session import SessionData, SessionState
from kiosk.steps import Step, declare_step
from offline_queue.email_address import EMAIL_MAX, email_address_problem
from offline_queue.errors import CentralUnavailable

__all__ = [
    "AFTER_ORDER_STATES",
    "EMAIL",
    "EMAILING",
    "EMAIL_MAX",
    "EmailFlow",
    "email_char",
    "offered",
]

log = logging.getLogger(__name__)

S = SessionState

EMAIL = SessionState.declare("email")
EMAILING = SessionState.declare("emailing")
declare_step(
    Step(
        state=EMAIL,
        screen="ui.screens.email:EmailScreen",
        prompt_key="email.prompt",
        timeout_s=120.0,
        personal_data=True,
        entered_from=frozenset({S.TAKE_DOCUMENTS}),
        forward=frozenset({S.TAKE_DOCUMENTS, S.REMOVE_CARD}),
    )
)
declare_step(
    Step(
        state=EMAILING,
        screen="ui.screens.messages:WaitScreen",
        prompt_key="emailing.prompt",
        personal_data=True,
        entered_from=frozenset({EMAIL}),
        forward=frozenset({S.TAKE_DOCUMENTS}),
    )
)

AFTER_ORDER_STATES: Final[Set[SessionState]] = frozenset({S.TAKE_DOCUMENTS, EMAIL, EMAILING})
"""The order is complete: the card may leave, the session goes on until the documents are taken."""

KEY_SENT: Final = "email.sent"
KEY_NOT_SENT: Final = "email.not_sent"
KEY_NOT_NOW: Final = "email.not_now"


def email_char(char: str) -> bool:
    """Whether the keyboard takes `char` in an address (ASCII letters, digits and . - _ + @)."""
    return char.isascii() and (char.isalnum() or char in ".-_+@")


def offered(session: SessionData, *, mail_port: bool) -> bool:
    """Whether the "also by e-mail" button shows: a mail port, sealed copies, none sent yet."""
    return mail_port and not session.email_sent and any(d.sealed for d in session.issued)


def problem_key(problem: str) -> str:
    return f"email.{problem}"


class EmailFlow(HostedFlow):
    """Used on the controller's thread only."""

    def offer(self) -> None:
        """ "Also by e-mail" pressed on the documents' screen."""
        if self.state is S.TAKE_DOCUMENTS and offered(self._s, mail_port=self._mail_port):
            self._s.notice_key = None
            self._go(EMAIL, reason="email_asked")

    def back(self) -> None:
        if self.state is EMAIL:
            self._s.email_address = ""
            self._s.notice_key = None
            self._go(S.TAKE_DOCUMENTS, reason="back")

    def give(self, text: str) -> None:
        """The address typed: sent, or a notice saying what is wrong with it."""
        if self.state is not EMAIL:
            return
        address = text.strip()
        problem = email_address_problem(address)
        if problem is not None:
            self._s.notice_key = problem_key(problem)
            log.info("email_address_refused", extra={"problem": problem})
            self._refresh()
            return
        self._s.notice_key = None
        self._s.email_address = address
        self._go(EMAILING, reason="email_given")
        self._send_next([d for d in self._s.issued if d.sealed])

    @property
    def _mail_port(self) -> bool:
        return self._ports.mail is not None

    def _send_next(self, documents: list[IssuedDocument]) -> None:
        s = self._s
        mail = self._ports.mail
        if not documents:
            self._done(KEY_SENT)
            return
        if mail is None:
            self._done(KEY_NOT_SENT)
            return
        document, rest = documents[0], documents[1:]
        address, language = s.email_address, s.document_language or s.language
        self._await(
            lambda: mail.email_document(
                document_id=document.document_id,
                address=address,
                language=language,
                pdf=document.sealed,
            ),
            step=f"email.{document.document_type}",
            then=lambda _none: self._sent(document.document_id, rest),
            failed=self._failed,
        )

    def _sent(self, document_id: str, rest: list[IssuedDocument]) -> None:
        log.info("document_emailed", extra={"document_id": document_id})
        self._send_next(rest)

    def _failed(self, err: BaseException) -> None:
        key = err.translation_key if isinstance(err, BorneError) else type(err).__name__
        log.warning("document_not_emailed", extra={"error_key": key})
        self._done(KEY_NOT_NOW if isinstance(err, CentralUnavailable) else KEY_NOT_SENT)

    def _done(self, notice: str) -> None:
        s = self._s
        s.email_address = ""  # the address goes as soon as the mails are sent (or not)
        s.email_sent = notice == KEY_SENT
        s.notice_key = notice
        if self.state is EMAILING:
            self._go(S.TAKE_DOCUMENTS, reason="email_sent" if s.email_sent else "email_failed")

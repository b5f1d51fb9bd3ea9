"""The resident's session as a state machine with a declared transition table.

The transition table derives from the steps' declarations (`kiosk.steps`), the single source of
truth for which screen may follow which. The journey controller (`kiosk.journey`) decides *why* to
move; this module only checks *whether* it may.

Card removal, time-outs and errors
----------------------------------
* Card removal wipes the session at once and returns to ATTRACT from every state that holds
  personal data, with three exceptions:

  - ISSUING and REVERSING: once ISSUING has started the order is committed (the payment, if any,
    is approved). The order must either complete (documents printed, record written) or be
    reversed (REVERSING, then ERROR with a claim key). Neither state may jump to ATTRACT; the
    controller remembers that the card is gone and, once the order is settled, skips
    REMOVE_CARD. TAKE_DOCUMENTS likewise stays until the printed documents are taken, so that
    they are not left in the tray unnoticed.
  - PAYMENT: the session is wiped and the kiosk returns to ATTRACT at once, but the charge that
    may still be in flight on the payment terminal is reconciled in the background: a late
    approval is reversed automatically and recorded, so nothing is charged.

* Inactivity time-outs end the session from every interactive state (to REMOVE_CARD when the card
  is still inserted, else to ATTRACT). States that wait on a device (READING, VERIFYING, PAYMENT,
  ISSUING, REVERSING) rely on the device time-outs, which surface as errors.
* ERROR is reachable from every state but ERROR itself and OUT_OF_SERVICE, REVERSING being the
  only way out of a failed paid order.

Out of service
--------------
OUT_OF_SERVICE ("staff has been called") follows wherever ATTRACT may follow, when a staff alert
is pending (a refused reversal, an unknown payment outcome, an unusable seal token or printer, an
unsettled payment found at start-up): the resident's session ends as usual, then the kiosk waits
for staff. Only staff leave it (back to ATTRACT); no resident action and no time-out applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from hardware.errors import BorneError
from kiosk.ports import (
    CardHolder,
    EarlierDocument,
    IssuedDocument,
    PaymentResult,
    RegisterExtract,
)
from kiosk.steps import (
    COMMITTED_STATES,
    INTERACTIVE_STATES,
    PERSONAL_DATA_STATES,
    DerivedMapping,
    SessionState,
    Step,
    forward_of,
)

__all__ = [  # the states and their sets are declared with the steps, in `kiosk.steps`
    "CANCELLABLE_STATES",
    "COMMITTED_STATES",
    "INTERACTIVE_STATES",
    "PERSONAL_DATA_STATES",
    "TRANSITIONS",
    "IllegalTransition",
    "SessionData",
    "SessionMachine",
    "SessionState",
]

log = logging.getLogger(__name__)


S = SessionState

#: States the resident's Cancel ends (the session is closed; PAYMENT asks the terminal to abort).
CANCELLABLE_STATES: frozenset[SessionState] = frozenset(
    {S.LANGUAGE, S.INSERT_CARD, S.READING, S.PIN, S.VERIFYING, S.CHOOSE_DOCUMENTS, S.SUMMARY}
)


def _targets(step: Step) -> frozenset[SessionState]:
    state = step.state
    extra: set[SessionState] = set()
    if state not in (S.ERROR, S.OUT_OF_SERVICE):
        extra.add(S.ERROR)  # a failure may happen anywhere
    if state is not S.ATTRACT and not step.committed:
        extra.add(S.ATTRACT)  # card removed, time-out or cancel: wipe and start over
    if state is not S.OUT_OF_SERVICE and not step.committed:
        extra.add(S.OUT_OF_SERVICE)  # the session ended (or none ran) and staff are needed
    return frozenset(forward_of(state) | extra)


#: {state: the states that may follow it}, from the steps' declarations (`kiosk.steps`).
#: Staying in the same state is not a transition.
TRANSITIONS: Mapping[SessionState, frozenset[SessionState]] = DerivedMapping(_targets)


class IllegalTransition(BorneError):
    """A move the transition table does not allow: a programming error, never shown as such."""

    def __init__(self, *, source: SessionState, target: SessionState) -> None:
        super().__init__(f"illegal session transition {source.value} -> {target.value}")
        self.source = source
        self.target = target


StateListener = Callable[[SessionState, SessionState], None]


class SessionMachine:
    """Holds the current state; every change goes through `_set_state`."""

    def __init__(self, *, initial: SessionState = S.ATTRACT) -> None:
        self._state = initial
        self._listeners: list[StateListener] = []

    @property
    def state(self) -> SessionState:
        return self._state

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def can_go(self, target: SessionState) -> bool:
        return target in TRANSITIONS[self._state]

    def go(self, target: SessionState, *, reason: str) -> None:
        """Move to `target`; `reason` is a short machine word (never personal data)."""
        self._set_state(target, reason=reason)

    def _set_state(self, target: SessionState, *, reason: str) -> None:
        source = self._state
        if target not in TRANSITIONS[source]:
            raise IllegalTransition(source=source, target=target)
        self._state = target
        log.info(
            "state_change",
            extra={
                "event": "state_change",
                "from": source.value,
                "to": target.value,
                "reason": reason,
            },
        )
        for listener in list(self._listeners):
            listener(source, target)


@dataclass(slots=True, kw_only=True)
class SessionData:
    """Mutable state of one resident's session; lives only on the controller's thread."""

    operation_id: str
    started_at: float
    language: str
    document_language: str
    card_read: bool = False
    holder: CardHolder | None = None
    extract: RegisterExtract | None = None
    tries_left: int | None = None
    selected: list[str] = field(default_factory=list)
    purpose: str = ""
    """The purpose code the resident chose (`kiosk.flows.purpose`); "": none asked or given."""
    purpose_text: str = ""
    """The purpose the resident typed (code "other", `kiosk.flows.purpose_text`); never logged."""
    payment: PaymentResult | None = None
    reversal: PaymentResult | None = None
    to_issue: list[str] = field(default_factory=list)
    issued: list[IssuedDocument] = field(default_factory=list)
    pdf_paths: list[str] = field(default_factory=list)
    steps_ms: dict[str, float] = field(default_factory=dict)
    step_started: dict[str, float] = field(default_factory=dict)
    outcome: str = "cancelled"
    notice_key: str | None = None
    error_key: str | None = None
    error_params: dict[str, str] = field(default_factory=dict)
    claim_code: str | None = None
    retry_target: SessionState | None = None
    payment_prompt_key: str | None = None
    recorded: bool = False
    checking_printer: bool = False
    receipt_printed: bool | None = None
    email_address: str = field(default="", repr=False)
    """The address the resident typed (`kiosk.flows.email`), only while it is sent; never logged."""
    email_sent: bool = False
    earlier: tuple[EarlierDocument, ...] = ()
    """The resident's earlier documents (`kiosk.flows.my_requests`), newest first; never logged."""
    earlier_more: bool = False

    @classmethod
    def begin(
        cls,
        *,
        operation_id: str,
        started_at: float,
        language: str,
        document_languages: Sequence[str],
    ) -> SessionData:
        """A new session in `language`; its documents in that language when they exist in it."""
        return cls(
            operation_id=operation_id,
            started_at=started_at,
            language=language,
            document_language=language if language in document_languages else document_languages[0],
        )

    def choose_language(self, code: str, *, document_languages: Sequence[str]) -> None:
        """The resident's language; the documents follow it when they exist in it."""
        self.language = code
        if code in document_languages:
            self.document_language = code

    def toggle_document(self, document_type: str, *, offered: Sequence[str]) -> bool:
        """Select or unselect `document_type`, kept in the order `offered`; False if not offered."""
        if document_type not in offered:
            return False
        if document_type in self.selected:
            self.selected.remove(document_type)
        else:
            self.selected.append(document_type)
            self.selected.sort(key=list(offered).index)
        return True

    def show_error(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """The session ends on the error screen `key` (Retry goes to `retry`, when given)."""
        self.outcome = outcome
        self.error_key = key
        self.error_params = dict(params or {})
        self.retry_target = retry

    def wipe_personal(self) -> None:
        self.holder = None
        self.extract = None
        self.email_address = ""
        self.earlier = ()

    def drop_copies(self) -> None:
        """The session is over: the sealed copies kept for the e-mail go too."""
        self.issued = [replace(d, sealed=b"") for d in self.issued]

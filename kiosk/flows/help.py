"""Help: a resident calls staff from any screen, and a card left behind is reported; the kiosk
stays in service (unlike the staff alerts of `kiosk.flows.staff`, which stop it).

A call carries the screen (the session state) and a reason the resident chose from a short list;
it is logged for staff (no personal data) and handed to the `calls` port, which takes it to the
central on the next heartbeat. The screen then says that staff have been called, until the
session ends.
"""

from __future__ import annotations

import enum
import logging
from concurrent.futures import Future
from typing import Final

from kiosk.flows.steps import call
from kiosk.ports import Ports, StaffCall

log = logging.getLogger(__name__)

KIND_HELP: Final = "help_requested"
KIND_CARD_LEFT: Final = "card_left_behind"
KEY_HELP_CALLED: Final = "help.called"


class HelpReason(enum.StrEnum):
    """What the resident may say when asking for help (in the order the help panel lists them)."""

    NEED_HELP = "need_help"
    CARD_STUCK = "card_stuck"
    NO_PAPER = "no_paper"
    PAYMENT_PROBLEM = "payment_problem"

    @property
    def label_key(self) -> str:
        return f"help.reason.{self.value}"


class HelpFlow:
    """The calls to staff of one kiosk; used on the controller's thread only."""

    def __init__(self, *, ports: Ports) -> None:
        self._ports = ports
        self._called_in: str | None = None

    def called(self, session_id: str) -> bool:
        """Whether the resident of session `session_id` has called staff."""
        return self._called_in == session_id

    def request(self, *, session_id: str, screen: str, reason: str) -> bool:
        """The resident pressed Help and chose `reason`; False for a reason not on the list."""
        try:
            chosen = HelpReason(reason)
        except ValueError:
            log.warning("help_reason_unknown", extra={"screen": screen})
            return False
        self._called_in = session_id
        self._send(StaffCall(kind=KIND_HELP, screen=screen, reason=chosen.value))
        return True

    def card_left(self, *, screen: str) -> None:
        """The card is still in the reader after the reminder: staff must take it out."""
        self._send(StaffCall(kind=KIND_CARD_LEFT, screen=screen, reason="reminder_ignored"))

    def _send(self, staff_call: StaffCall) -> None:
        log.warning(
            "staff_called",
            extra={
                "kind": staff_call.kind,
                "screen": staff_call.screen,
                "reason": staff_call.reason,
            },
        )
        port = self._ports.calls
        if port is None:
            return
        call(lambda: port.call(staff_call)).add_done_callback(_log_call_failure)


def _log_call_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("staff_call_not_sent", extra={"error": type(done.exception()).__name__})

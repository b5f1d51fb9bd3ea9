"""Claim codes and claim slips: what a resident takes to the counter when money is in doubt.

A refused reversal or an unknown payment outcome ends on a screen showing a claim code; the same
code, derived from the payment reference, is printed on a claim slip, and staff are called.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from kiosk.flows.host import HostedFlow
from kiosk.ports import ClaimSlip, PrintOutcome, StaffAlert

log = logging.getLogger(__name__)


class ClaimDesk(HostedFlow):
    """Claim codes and slips of the current session; used on the controller's thread only."""

    def for_staff(self, reason: str, key: str) -> None:
        """Print the resident's claim slip (same code as the screen) and call staff."""
        s = self._s
        reference, language = s.operation_id, s.language
        self.raise_alert(StaffAlert(reason=reason, key=key, reference=reference))
        slip = self._call(lambda: self._ports.payment.claim_slip(reference=reference))
        slip.add_done_callback(
            lambda done: self._post(lambda: self._print_claim_slip(done, language))
        )

    def _print_claim_slip(self, done: Future[ClaimSlip], language: str) -> None:
        err = None if done.cancelled() else done.exception()
        if done.cancelled() or err is not None:
            log.error("claim_slip_unavailable", extra={"error": type(err).__name__})
            return
        slip = done.result()
        printed = self._call(lambda: self._ports.printer.print_claim_slip(slip, language=language))
        printed.add_done_callback(_log_claim_slip)

    def code(self) -> str:
        """The code the claim slip prints too: both derive it from the payment reference."""
        return self._ports.payment.claim_code(reference=self._s.operation_id)


def _log_claim_slip(done: Future[PrintOutcome]) -> None:
    err = None if done.cancelled() else done.exception()
    if err is not None:
        log.error("claim_slip_not_printed", extra={"error": type(err).__name__})
    elif not done.cancelled() and not done.result().completed:
        log.error("claim_slip_not_printed", extra={"job_id": done.result().job_id})
    else:
        log.info("claim_slip_printed")

"""Payments whose session was abandoned (the eID removed while the terminal was charging).

The resident's session is wiped at once; the charge still in flight is settled here, in the
background: a late approval is reversed and recorded, an unknown outcome calls staff, and nothing
is charged. While one is pending the kiosk starts no new session (`reconciling`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from kiosk.flows.host import Host, HostedFlow
from kiosk.flows.staff import KEY_ALERT_PAYMENT_UNKNOWN
from kiosk.flows.steps import Post, Steps
from kiosk.ports import PaymentResult, PaymentStatus, Ports, StaffAlert
from kiosk.records import issuance_record

log = logging.getLogger(__name__)

KEY_ALERT_REVERSAL_FAILED = "out_of_service.reason.reversal_failed"


class AbandonedPayments(HostedFlow):
    """Counts and settles the abandoned payments; used on the controller's thread only."""

    def __init__(
        self,
        *,
        ports: Ports,
        steps: Steps,
        post: Post,
        host: Host,
        kiosk_id: Callable[[], str],
    ) -> None:
        super().__init__(ports=ports, steps=steps, post=post, host=host)
        self._kiosk_id = kiosk_id
        self._orphans = 0

    @property
    def reconciling(self) -> bool:
        """True while an abandoned payment is still being settled in the background."""
        return self._orphans > 0

    def abandon(self) -> None:
        """The session ends during the payment: the terminal is told to abort, and the pending
        charge is settled by `settled` once it returns."""
        self._ports.payment.cancel()  # ECR abort: the terminal stops asking for the card
        self._orphans += 1

    def settled(self, future: Future[PaymentResult], *, reference: str, amount: int) -> None:
        """A charge finished after its session was abandoned: reverse an approval, record it."""
        result = future.result() if not future.cancelled() and future.exception() is None else None
        if result is None or result.status is PaymentStatus.UNKNOWN:
            self.raise_alert(
                StaffAlert(
                    reason="payment_unknown", key=KEY_ALERT_PAYMENT_UNKNOWN, reference=reference
                )
            )
            self._orphan_done(
                reference=reference, amount=amount, outcome="abandoned_payment_unknown"
            )
            return
        if result.status is not PaymentStatus.APPROVED:
            self._orphan_done(reference=reference, amount=amount, outcome=None)
            return
        receipt = result.receipt_number or ""

        def reversed_(done: Future[PaymentResult]) -> None:
            ok = (
                not done.cancelled()
                and done.exception() is None
                and done.result().status is PaymentStatus.APPROVED
            )
            outcome = "abandoned_reversed" if ok else "abandoned_reversal_failed"
            if not ok:
                self._post(
                    lambda: self.raise_alert(
                        StaffAlert(
                            reason="reversal_failed",
                            key=KEY_ALERT_REVERSAL_FAILED,
                            reference=reference,
                        )
                    )
                )
            self._post(
                lambda: self._orphan_done(
                    reference=reference, amount=amount, outcome=outcome, receipt=receipt
                )
            )

        log.warning("abandoned_payment_reversing", extra={"operation_id": reference})
        future_rev = self._call(
            lambda: self._ports.payment.reverse(reference=reference, receipt_number=receipt)
        )
        future_rev.add_done_callback(reversed_)

    def _orphan_done(
        self, *, reference: str, amount: int, outcome: str | None, receipt: str | None = None
    ) -> None:
        self._orphans -= 1
        if outcome is not None:
            record = issuance_record(
                operation_id=reference,
                kiosk_id=self._kiosk_id(),
                outcome=outcome,
                amount_cents=amount,
                payment_status=outcome,
                receipt_number=receipt,
            )
            self._call(lambda: self._ports.outbox.record(record)).add_done_callback(
                _log_outbox_failure
            )
        self._refresh()


def _log_outbox_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("outbox_record_failed", extra={"error": type(done.exception()).__name__})

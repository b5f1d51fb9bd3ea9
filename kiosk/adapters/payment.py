"""The payment terminal device: the journaled payment service, owned by the terminal's thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from hardware.payment.journal import PaymentState
from hardware.payment.model import Approved, Cancelled, Declined, PaymentOutcome, Unknown
from hardware.payment.service import PaymentService
from hardware.runner import DeviceRunner
from kiosk.ports import PaymentResult, PaymentStatus

log = logging.getLogger(__name__)


def payment_result(outcome: PaymentOutcome, *, amount_cents: int) -> PaymentResult:
    if isinstance(outcome, Approved):
        return PaymentResult(
            status=PaymentStatus.APPROVED,
            reference=outcome.reference,
            amount_cents=outcome.amount_cents,
            receipt_number=outcome.receipt_number,
            auth_code=outcome.auth_code,
            card_brand=outcome.card_brand or None,
            masked_pan=outcome.masked_pan or None,
            receipt_lines=outcome.receipt_lines,
        )
    status = {
        Declined: PaymentStatus.DECLINED,
        Cancelled: PaymentStatus.CANCELLED,
        Unknown: PaymentStatus.UNKNOWN,
    }[type(outcome)]
    return PaymentResult(
        status=status, reference=outcome.reference, amount_cents=amount_cents, reason=outcome.reason
    )


class ZvtPaymentAdapter:
    """`PaymentPort` over `PaymentService`: every step is journaled before the terminal is asked."""

    def __init__(
        self, *, runner: DeviceRunner, service_factory: Callable[[], PaymentService]
    ) -> None:
        self._runner = runner
        self._factory = service_factory
        self._service: PaymentService | None = None

    def start(self) -> Future[int]:
        """Open the terminal and resolve every unfinished payment before a resident is served."""
        return self._runner.submit(self._recover)

    def close(self) -> None:
        """Owner-thread close for `DeviceRunner.stop(close=...)`."""
        service, self._service = self._service, None
        if service is not None:
            service.terminal.close()
            service.journal.close()

    def pay(
        self, *, amount_cents: int, reference: str, on_prompt: Callable[[str], None]
    ) -> Future[PaymentResult]:
        return self._runner.submit(self._pay, amount_cents, reference, on_prompt)

    def reverse(self, *, reference: str, receipt_number: str) -> Future[PaymentResult]:
        return self._runner.submit(self._reverse, reference)

    def complete(self, *, reference: str) -> Future[None]:
        return self._runner.submit(self._complete, reference)

    # -- owner thread -----------------------------------------------------------------------
    def _svc(self) -> PaymentService:
        if self._service is None:
            self._service = self._factory()
        return self._service

    def _recover(self) -> int:
        touched = self._svc().recover()
        for record in touched:
            log.warning(
                "payment_recovered",
                extra={"reference": record.reference, "state": record.state.name},
            )
        return len(touched)

    def _pay(
        self, amount_cents: int, reference: str, on_prompt: Callable[[str], None]
    ) -> PaymentResult:
        service = self._svc()
        outcome = service.pay(amount_cents=amount_cents, reference=reference, on_status=on_prompt)
        if isinstance(outcome, Approved):
            service.mark_delivering(reference)
        return payment_result(outcome, amount_cents=amount_cents)

    def _reverse(self, reference: str) -> PaymentResult:
        record = self._svc().mark_delivery_failed(reference)
        reversed_ = record.state is PaymentState.REVERSED
        if not reversed_:
            log.error(
                "payment_needs_staff",
                extra={
                    "reference": reference,
                    "state": record.state.name,
                    "amount": record.amount_cents,
                },
            )
        return PaymentResult(
            status=PaymentStatus.APPROVED if reversed_ else PaymentStatus.UNKNOWN,
            reference=reference,
            amount_cents=record.amount_cents,
            receipt_number=record.receipt_number or None,
            reason=None if reversed_ else record.state.name.lower(),
        )

    def _complete(self, reference: str) -> None:
        self._svc().mark_completed(reference)

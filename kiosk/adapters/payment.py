"""The payment terminal device: the journaled payment service, owned by the terminal's thread."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from hardware.errors import DeviceUnavailable
from hardware.payment.errors import (
    AttemptNotAllowed,
    AttemptsExhausted,
    CommandRefused,
    PaymentInProgress,
    PaymentsSuspended,
    TerminalBusy,
)
from hardware.payment.journal import BLOCKING_STATES, PaymentRecord, PaymentState
from hardware.payment.model import Approved, Cancelled, Declined, EndOfDay, PaymentOutcome, Unknown
from hardware.payment.service import MAX_ATTEMPTS, Delivery, PaymentService
from hardware.runner import DeviceRunner
from kiosk import health
from kiosk.claim_slip import ClaimSlip, claim_code, claim_slip
from kiosk.health import HealthBoard
from kiosk.ports import PaymentNotTaken, PaymentResult, PaymentStatus

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
        self,
        *,
        runner: DeviceRunner,
        service_factory: Callable[[], PaymentService],
        commune: str = "",
        kiosk_id: str = "",
        acknowledged_path: Path | None = None,
        health_board: HealthBoard | None = None,
    ) -> None:
        """`acknowledged_path` keeps the references of MANUAL_REVIEW payments staff took over."""
        self._runner = runner
        self._factory = service_factory
        self._service: PaymentService | None = None
        self._commune = commune
        self._kiosk_id = kiosk_id
        self._acknowledged = acknowledged_path
        self._health = health_board

    def start(self, *, deliveries: Mapping[str, Delivery] | None = None) -> Future[tuple[str, ...]]:
        """Open the terminal and resolve every unfinished payment before a resident is served.

        `deliveries` says, per order reference, what its documents became (see
        `PaymentService.recover`). Returns the references of the payments touched.
        """
        return self._runner.submit(self._recover, deliveries)

    def order_states(self, orders: tuple[str, ...]) -> Future[dict[str, PaymentRecord]]:
        """The latest journaled attempt of each order that has one."""
        return self._runner.submit(self._order_states, orders)

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

    def cancel(self) -> None:
        """Not queued behind the running payment: the driver's abort flag is thread-safe."""
        service = self._service
        if service is not None:
            service.cancel()

    def reverse(self, *, reference: str, receipt_number: str) -> Future[PaymentResult]:
        return self._runner.submit(self._reverse, reference)

    def complete(self, *, reference: str) -> Future[None]:
        return self._runner.submit(self._complete, reference)

    def claim_slip(self, *, reference: str) -> Future[ClaimSlip]:
        return self._runner.submit(self._claim_slip, reference)

    def claim_code(self, *, reference: str) -> str:
        return claim_code(reference)

    def acknowledge(self, *, references: tuple[str, ...]) -> Future[None]:
        return self._runner.submit(self._acknowledge, references)

    def unresolved(self) -> Future[tuple[str, ...]]:
        """References of payments whose outcome is still unknown (they block every new payment)."""
        return self._runner.submit(self._unresolved)

    def end_of_day(self) -> Future[EndOfDay]:
        """Close the terminal's day (06 50): totals per card brand, for the fleet and staff."""
        return self._runner.submit(lambda: self._svc().end_of_day())

    def pending_reviews(self) -> Future[tuple[str, ...]]:
        """References of MANUAL_REVIEW payments staff have not acknowledged yet."""
        return self._runner.submit(self._pending_reviews)

    # -- owner thread -----------------------------------------------------------------------
    def _svc(self) -> PaymentService:
        if self._service is None:
            self._service = self._factory()
        return self._service

    def _recover(self, deliveries: Mapping[str, Delivery] | None = None) -> tuple[str, ...]:
        try:
            touched = self._svc().recover(deliveries=deliveries)
        except DeviceUnavailable:
            self._seen("unreachable")
            raise
        self._seen("reachable")
        for record in touched:
            log.warning(
                "payment_recovered",
                extra={"reference": record.reference, "state": record.state.name},
            )
        return tuple(r.reference for r in touched)

    def _order_states(self, orders: tuple[str, ...]) -> dict[str, PaymentRecord]:
        service = self._svc()
        found: dict[str, PaymentRecord] = {}
        for order in orders:
            attempts = service.attempts(order)
            if attempts:
                found[order] = attempts[-1]
        return found

    def _pay(
        self, amount_cents: int, order: str, on_prompt: Callable[[str], None]
    ) -> PaymentResult:
        """`order` is the order's reference; each attempt is journaled under its own."""
        service = self._svc()
        try:
            attempt, reference = service.next_attempt(order)
        except AttemptsExhausted as err:
            return PaymentResult(
                status=PaymentStatus.DECLINED,
                reference=service.current_attempt(order),
                amount_cents=amount_cents,
                reason=err.translation_key,
                attempt=len(service.attempts(order)),
            )
        except AttemptNotAllowed:
            log.error("payment_retry_refused", extra={"reference": order})
            return PaymentResult(
                status=PaymentStatus.UNKNOWN,
                reference=service.current_attempt(order),
                amount_cents=amount_cents,
                reason="payment.unknown",
                attempt=len(service.attempts(order)),
            )
        try:
            outcome = service.pay(
                amount_cents=amount_cents, reference=reference, on_status=on_prompt
            )
        except DeviceUnavailable:
            self._seen("unreachable")
            raise
        except (TerminalBusy, CommandRefused) as err:
            # the terminal refused before any transaction started: the row is NOT_SENT
            self._seen("reachable")
            log.warning(
                "payment_not_taken", extra={"reference": reference, "error": type(err).__name__}
            )
            raise PaymentNotTaken(
                "the terminal started no transaction", translation_key=err.translation_key
            ) from err
        except (PaymentsSuspended, PaymentInProgress) as err:
            log.error(
                "payment_not_taken", extra={"reference": reference, "error": type(err).__name__}
            )
            raise PaymentNotTaken(
                "payments are suspended", translation_key=err.translation_key, suspended=True
            ) from err
        self._seen("reachable")
        if isinstance(outcome, Approved):
            service.mark_delivering(reference)
        result = replace(payment_result(outcome, amount_cents=amount_cents), attempt=attempt)
        if result.status is PaymentStatus.DECLINED and attempt >= MAX_ATTEMPTS:
            # the order's last attempt: the resident is told at once, never offered another
            result = replace(result, reason=AttemptsExhausted.translation_key)
        return result

    def _reverse(self, order: str) -> PaymentResult:
        reference = self._svc().current_attempt(order)
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

    def _complete(self, order: str) -> None:
        self._svc().mark_completed(self._svc().current_attempt(order))

    def _claim_slip(self, order: str) -> ClaimSlip:
        record = self._svc().journal.get(self._svc().current_attempt(order))
        return claim_slip(record, commune=self._commune, kiosk_id=self._kiosk_id)

    def _read_acknowledged(self) -> set[str]:
        if self._acknowledged is None:
            return set()
        try:
            data = json.loads(self._acknowledged.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError):
            log.warning("acknowledged_payments_unreadable")
            return set()
        return {str(r) for r in data} if isinstance(data, list) else set()

    def _acknowledge(self, references: tuple[str, ...]) -> None:
        if self._acknowledged is not None:
            known = self._read_acknowledged() | set(references)
            tmp = self._acknowledged.with_suffix(".tmp")
            tmp.write_text(json.dumps(sorted(known)), encoding="utf-8")
            tmp.replace(self._acknowledged)
        log.info("payments_acknowledged", extra={"count": len(references)})
        self._recover()  # an unknown outcome left by the session is looked up again now
        left = self._unresolved()
        if left:
            log.error("payments_still_unknown", extra={"count": len(left)})
            raise PaymentsSuspended(
                "a payment outcome is still unknown", params={"count": str(len(left))}
            )

    def _unresolved(self) -> tuple[str, ...]:
        return tuple(r.reference for r in self._svc().journal.in_states(BLOCKING_STATES))

    def _pending_reviews(self) -> tuple[str, ...]:
        done = self._read_acknowledged()
        rows: list[PaymentRecord] = self._svc().manual_review()
        return tuple(r.reference for r in rows if r.reference not in done)

    def staff_alert(self, record: PaymentRecord) -> None:
        """`PaymentService.on_manual_review`: runs on the terminal's thread."""
        log.error(
            "payment_manual_review",
            extra={"reference": record.reference, "amount": record.amount_cents},
        )

    def _seen(self, state: str) -> None:
        if self._health is not None:
            self._health.set(health.PAYMENT_TERMINAL, state)

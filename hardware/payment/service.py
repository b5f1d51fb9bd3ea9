"""The payment core: journal around every terminal call, one payment in flight, recovery.

Rules: the row is written before the request is sent; a row in UNKNOWN is never retried, only looked
up; a new payment is refused while an earlier one is unresolved; an approved payment whose service
was not delivered is reversed (or handed to staff when the terminal refuses).

At start-up the caller says, per order, what was delivered (`Delivery`): everything → the payment
is completed; nothing or only part → reversed in full (the policy of a live order whose delivery
failed); not known for sure → handed to staff (MANUAL_REVIEW).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping

from hardware.errors import DeviceError
from hardware.payment.errors import (
    AttemptNotAllowed,
    AttemptsExhausted,
    CommandRefused,
    InvalidTransition,
    PaymentInProgress,
    PaymentsSuspended,
    TerminalBusy,
    TerminalNotReachable,
    UnknownPayment,
)
from hardware.payment.journal import BLOCKING_STATES, PaymentJournal, PaymentRecord, PaymentState
from hardware.payment.model import (
    NOT_CHARGED,
    STATUS_ACCEPTED,
    Approved,
    Cancelled,
    Declined,
    EndOfDay,
    PaymentOutcome,
    PaymentTerminal,
    StatusCallback,
    Unknown,
)

log = logging.getLogger(__name__)
S = PaymentState

ALREADY_REVERSED = "payment.already_reversed"

MAX_ATTEMPTS = 3
# States after which the card was certainly not charged: the resident may try again.
RETRYABLE_STATES = frozenset({S.DECLINED, S.CANCELLED, S.TIMED_OUT, S.NOT_SENT})


def attempt_reference(order_reference: str, attempt: int) -> str:
    """The journal reference of one attempt: the order's own for the first, then ``order.N``."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return order_reference if attempt == 1 else f"{order_reference}.{attempt}"


def order_reference(reference: str) -> str:
    """The order an attempt's reference belongs to (inverse of `attempt_reference`)."""
    head, dot, tail = reference.rpartition(".")
    if dot and head and tail.isdigit() and 2 <= int(tail) <= MAX_ATTEMPTS:
        return head
    return reference


class Delivery(enum.Enum):
    """What an approved order delivered before the process died, as its caller found out."""

    NONE = "none"
    ALL = "all"
    PARTIAL = "partial"
    UNCERTAIN = "uncertain"


def _ignore(key: str) -> None:
    del key


StaffAlert = Callable[[PaymentRecord], None]


class PaymentService:
    def __init__(
        self,
        *,
        terminal: PaymentTerminal,
        journal: PaymentJournal,
        on_manual_review: StaffAlert | None = None,
    ) -> None:
        """`on_manual_review` is called (from the paying thread) each time a row needs staff."""
        self.terminal = terminal
        self.journal = journal
        self._on_manual_review = on_manual_review
        self._busy = threading.Lock()

    # -- staff --------------------------------------------------------------------------------
    def manual_review(self) -> list[PaymentRecord]:
        """Payments staff must settle by hand (refund or confirm with the acquirer), oldest first."""
        return self.journal.in_states(frozenset({S.MANUAL_REVIEW}))

    def _to_manual_review(self, reference: str, *, detail: str) -> PaymentRecord:
        record = self.journal.set_state(reference, S.MANUAL_REVIEW, detail=detail)
        log.warning("payment needs staff", extra={"reference": reference, "detail": detail})
        if self._on_manual_review is not None:
            try:
                self._on_manual_review(record)
            except Exception:
                log.exception("staff alert failed", extra={"reference": reference})
        return record

    # -- attempts -----------------------------------------------------------------------------
    def attempts(self, order_reference: str) -> list[PaymentRecord]:
        """The journaled attempts of one order, first to last."""
        found: list[PaymentRecord] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                found.append(self.journal.get(attempt_reference(order_reference, attempt)))
            except UnknownPayment:
                break
        return found

    def current_attempt(self, order_reference: str) -> str:
        """The reference of the order's latest attempt (the order's own if none yet)."""
        done = self.attempts(order_reference)
        return done[-1].reference if done else order_reference

    def next_attempt(self, order_reference: str) -> tuple[int, str]:
        """Number and reference of the order's next attempt.

        Raises `AttemptNotAllowed` when the last attempt may have charged the card and
        `AttemptsExhausted` after `MAX_ATTEMPTS` unsuccessful ones.
        """
        done = self.attempts(order_reference)
        if done and done[-1].state not in RETRYABLE_STATES:
            raise AttemptNotAllowed(
                "the last attempt is not a refusal", params={"state": done[-1].state.name}
            )
        if len(done) >= MAX_ATTEMPTS:
            raise AttemptsExhausted("no attempt left", params={"attempts": str(len(done))})
        attempt = len(done) + 1
        return attempt, attempt_reference(order_reference, attempt)

    def cancel(self) -> None:
        """Ask the running payment to stop (ECR abort 06 B0); safe from any thread."""
        self.terminal.abort()

    # -- paying -------------------------------------------------------------------------------
    def pay(
        self,
        *,
        amount_cents: int,
        reference: str,
        on_status: StatusCallback = _ignore,
        currency: str = "EUR",
    ) -> PaymentOutcome:
        """Charge once under `reference` (unique per attempt).

        Raises `TerminalNotReachable` / `TerminalBusy` / `CommandRefused` when the terminal did not
        take the request (row NOT_SENT), `PaymentInProgress` / `PaymentsSuspended` before journaling.
        """
        if amount_cents <= 0:
            raise ValueError("amount must be positive")
        if not self._busy.acquire(blocking=False):
            raise PaymentInProgress("a payment is already in flight")
        try:
            if self.journal.in_states(BLOCKING_STATES):
                raise PaymentsSuspended("unresolved payments must be recovered first")
            self.journal.create(
                reference=reference,
                amount_cents=amount_cents,
                currency=currency,
                baseline_receipt=self._baseline(),
            )
            self.journal.set_state(reference, S.SENDING)

            def status(key: str) -> None:
                if key == STATUS_ACCEPTED:
                    self._accepted(reference)
                else:
                    on_status(key)

            try:
                outcome = self.terminal.pay(
                    amount_cents=amount_cents,
                    currency=currency,
                    reference=reference,
                    on_status=status,
                )
            except (TerminalNotReachable, TerminalBusy, CommandRefused) as err:
                self.journal.set_state(reference, S.NOT_SENT, detail=type(err).__name__)
                raise
            except Exception as err:
                self.journal.set_state(reference, S.UNKNOWN, detail=type(err).__name__)
                raise
            return self._settle(reference, outcome)
        finally:
            self._busy.release()

    def _baseline(self) -> str | None:
        """The terminal's newest receipt number before an attempt; asked once if never learnt."""
        known = self.journal.last_receipt()
        if known is not None:
            return known
        try:
            learnt = self.terminal.last_receipt()
        except DeviceError as err:
            log.warning("last receipt unknown", extra={"error": type(err).__name__})
            return None
        if learnt is not None:
            self.journal.note_receipt(learnt)
        return learnt

    def _note_receipt(self, receipt_number: str) -> None:
        if receipt_number:
            self.journal.note_receipt(receipt_number)

    def _accepted(self, reference: str) -> None:
        if self.journal.get(reference).state is S.SENDING:
            self.journal.set_state(reference, S.IN_PROGRESS)

    def _settle(self, reference: str, outcome: PaymentOutcome) -> PaymentOutcome:
        if isinstance(outcome, Unknown):
            self.journal.set_state(reference, S.UNKNOWN, detail=outcome.detail)
            return self._resolve(self.journal.get(reference), final=False) or outcome
        self._accepted(reference)
        self._record_outcome(reference, outcome)
        return outcome

    def _record_outcome(self, reference: str, outcome: Approved | Declined | Cancelled) -> None:
        if isinstance(outcome, Approved | Declined):
            self._note_receipt(outcome.receipt_number)
        if isinstance(outcome, Approved):
            self.journal.set_state(
                reference,
                S.APPROVED,
                receipt_number=outcome.receipt_number,
                auth_code=outcome.auth_code,
                masked_pan=outcome.masked_pan,
                card_brand=outcome.card_brand,
                terminal_id=outcome.terminal_id,
                trace=outcome.trace,
                receipt_lines=outcome.receipt_lines,
            )
        elif isinstance(outcome, Declined):
            self.journal.set_state(
                reference,
                S.DECLINED,
                reason_code=outcome.reason_code,
                receipt_number=outcome.receipt_number,
            )
        elif outcome.reason == NOT_CHARGED:
            self.journal.set_state(reference, S.CANCELLED, detail=NOT_CHARGED)
        else:
            state = S.TIMED_OUT if outcome.timed_out else S.CANCELLED
            current = self.journal.get(reference).state
            if state is S.TIMED_OUT and current is S.RECOVERING:
                state = S.CANCELLED
            self.journal.set_state(reference, state, reason_code=outcome.reason_code)

    def _resolve(self, record: PaymentRecord, *, final: bool) -> PaymentOutcome | None:
        """Ask the terminal what became of `record`; `final` escalates 'not found' to staff."""
        sent_for_sure = record.state is not S.SENDING
        self.journal.set_state(record.reference, S.RECOVERING)
        try:
            found = self.terminal.lookup(
                reference=record.reference,
                amount_cents=record.amount_cents,
                last_receipt=record.baseline_receipt,
            )
        except DeviceError as err:
            log.warning(
                "payment still unknown",
                extra={"reference": record.reference, "error": type(err).__name__},
            )
            self.journal.set_state(record.reference, S.UNKNOWN)
            return None
        if isinstance(found, Cancelled) and found.reason == NOT_CHARGED and not sent_for_sure:
            self.journal.set_state(record.reference, S.NOT_SENT, detail=NOT_CHARGED)
            return found
        if found is None or isinstance(found, Unknown):
            detail = found.detail if isinstance(found, Unknown) else "not found"
            if not final:
                self.journal.set_state(record.reference, S.UNKNOWN, detail=detail)
            elif sent_for_sure:
                self._to_manual_review(record.reference, detail=detail)
            else:
                self.journal.set_state(record.reference, S.NOT_SENT, detail=detail)
            return None
        self._record_outcome(record.reference, found)
        return found

    # -- closure ------------------------------------------------------------------------------
    def end_of_day(self) -> EndOfDay:
        """Close the terminal's day (settlement with the acquirer); never while a payment runs."""
        if not self._busy.acquire(blocking=False):
            raise PaymentInProgress("a payment is in flight")
        try:
            closing = self.terminal.end_of_day()
        finally:
            self._busy.release()
        log.info(
            "terminal day closed",
            extra={
                "approved": closing.approved,
                "count": closing.count,
                "total": closing.total_cents,
                "brands": {t.brand: t.count for t in closing.totals},
            },
        )
        return closing

    # -- delivery -----------------------------------------------------------------------------
    def mark_delivering(self, reference: str) -> PaymentRecord:
        return self.journal.set_state(reference, S.DELIVERING)

    def mark_completed(self, reference: str) -> PaymentRecord:
        if self.journal.get(reference).state is S.APPROVED:
            self.journal.set_state(reference, S.DELIVERING)
        return self.journal.set_state(reference, S.COMPLETED)

    def mark_delivery_failed(self, reference: str) -> PaymentRecord:
        """Reverse the charge: REVERSED, MANUAL_REVIEW, or REVERSAL_PENDING if the terminal is away
        (then `recover()` tries again; a reversal is idempotent on the terminal)."""
        self.journal.set_state(reference, S.DELIVERY_FAILED)
        self.journal.set_state(reference, S.REVERSAL_PENDING)
        return self._reverse(self.journal.get(reference))

    def _reverse(self, record: PaymentRecord) -> PaymentRecord:
        if not record.receipt_number:
            return self._to_manual_review(record.reference, detail="no receipt number")
        try:
            outcome = self.terminal.reverse(
                receipt_number=record.receipt_number, reference=record.reference
            )
        except DeviceError as err:
            log.warning(
                "reversal not possible now",
                extra={"reference": record.reference, "error": type(err).__name__},
            )
            return self.journal.get(record.reference)
        if isinstance(outcome, Approved):
            self._note_receipt(outcome.receipt_number)  # the reversal's own receipt
        if isinstance(outcome, Approved) or (
            isinstance(outcome, Declined) and outcome.reason == ALREADY_REVERSED
        ):
            return self.journal.set_state(record.reference, S.REVERSED)
        if isinstance(outcome, Unknown):
            return self.journal.get(record.reference)
        return self._to_manual_review(
            record.reference, detail=f"reversal refused: {outcome.reason}"
        )

    # -- start-up -----------------------------------------------------------------------------
    def recover(
        self,
        *,
        reverse_undelivered: bool = True,
        deliveries: Mapping[str, Delivery] | None = None,
    ) -> list[PaymentRecord]:
        """Resolve every non-final row before customers are served; returns the rows touched.

        With `reverse_undelivered` (the start-up case: no journey survives a restart), an approved
        payment is settled by what its order delivered, `deliveries[order]` (NONE when absent):
        completed when everything came out, reversed when nothing or only part did, staff when
        it is not known. The resident never pays for a certificate the kiosk did not deliver, and
        is never refunded silently for certificates they took away.
        """
        touched: list[PaymentRecord] = []
        delivered = dict(deliveries or {})
        with self._busy:
            for record in self.journal.unresolved():
                try:
                    verdict = delivered.get(order_reference(record.reference), Delivery.NONE)
                    self._recover_one(
                        record, reverse_undelivered=reverse_undelivered, delivery=verdict
                    )
                except InvalidTransition:
                    log.exception(
                        "recovery transition refused", extra={"reference": record.reference}
                    )
                touched.append(self.journal.get(record.reference))
        for record in touched:
            log.info(
                "payment recovered",
                extra={"reference": record.reference, "state": record.state.value},
            )
        return touched

    def _settle_delivery(self, reference: str, delivery: Delivery) -> None:
        if delivery is Delivery.ALL:
            self.mark_completed(reference)
            log.info("payment completed by recovery", extra={"reference": reference})
        elif delivery is Delivery.UNCERTAIN:
            self.journal.set_state(reference, S.DELIVERY_FAILED)
            self.journal.set_state(reference, S.REVERSAL_PENDING)
            self._to_manual_review(reference, detail="delivery uncertain")
        else:
            self.mark_delivery_failed(reference)

    def _recover_one(
        self, record: PaymentRecord, *, reverse_undelivered: bool, delivery: Delivery
    ) -> None:
        state = record.state
        if state is S.CREATED:
            self.journal.set_state(record.reference, S.NOT_SENT, detail="never sent")
        elif state in (S.SENDING, S.IN_PROGRESS, S.UNKNOWN, S.RECOVERING):
            if state is S.RECOVERING:
                self.journal.set_state(record.reference, S.UNKNOWN)
                record = self.journal.get(record.reference)
            found = self._resolve(record, final=True)
            if isinstance(found, Approved) and reverse_undelivered:
                self._settle_delivery(record.reference, delivery)
        elif state in (S.APPROVED, S.DELIVERING) and reverse_undelivered:
            self._settle_delivery(record.reference, delivery)
        elif state is S.DELIVERY_FAILED:
            self.journal.set_state(record.reference, S.REVERSAL_PENDING)
            self._reverse(self.journal.get(record.reference))
        elif state is S.REVERSAL_PENDING:
            self._reverse(record)

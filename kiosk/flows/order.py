"""The order: printer check → pay → issue and print → receipt → complete, or reverse → claim.

`OrderFlow` takes over when the resident confirms the summary. Money rules (see also
`kiosk.session`):

* nothing is charged before the resident confirms the summary, and a free order skips payment;
* the printer (and the room left for the order's records) is checked before the resident pays: a
  printer that cannot print takes no money;
* once the payment is approved the order is committed: each document is issued (logged by the
  issuer), its `issued` record queued, then printed; if anything fails the whole amount is
  reversed and the resident gets a claim code; the charge is completed before the order's record
  is queued, so a crash in between is completed at start-up, never refunded (`kiosk.recovery`);
* every order that reached the payment step is recorded in the outbox, without personal data;
* a paid order ends with a receipt (terminal lines and documents); a receipt that fails to print
  does not fail the order, it is logged and reported;
* a refused reversal or an unknown payment outcome prints a claim slip carrying the same claim code
  as the screen, and raises a staff alert;
* a payment whose session was abandoned is settled by `kiosk.flows.abandoned`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from hardware.errors import BorneError, DeviceUnavailable, OperationCancelled
from kiosk.flows.abandoned import KEY_ALERT_REVERSAL_FAILED, AbandonedPayments
from kiosk.flows.claims import ClaimDesk
from kiosk.flows.host import Host, HostedFlow
from kiosk.flows.purpose import printed as printed_purpose
from kiosk.flows.staff import KEY_ALERT_PAYMENT_UNKNOWN, KEY_GENERIC
from kiosk.flows.steps import Post, Steps
from kiosk.flows.storage import KEY_STORAGE_FULL, StorageWatch
from kiosk.ports import (
    Catalogue,
    DeviceCheck,
    IssuanceRecord,
    IssuedDocument,
    IssueRequest,
    PaymentNotTaken,
    PaymentResult,
    PaymentStatus,
    Ports,
    PrintOutcome,
    ReceiptItem,
    ReceiptRequest,
    StaffAlert,
)
from kiosk.records import issuance_record, issued_record
from kiosk.session import SessionState
from kiosk.view import total_cents

S = SessionState
log = logging.getLogger(__name__)

KEY_PAYMENT_CANCELLED = "payment.cancelled"
KEY_PAYMENT_DECLINED = "payment.declined"
KEY_TOO_MANY_ATTEMPTS = "payment.too_many_attempts"
KEY_PAYMENT_UNKNOWN = "payment.unknown"
KEY_CLAIM_REFUNDED = "error.claim_refunded"
KEY_CLAIM_COUNTER = "error.claim_counter"
KEY_PRINTER_UNAVAILABLE = "error.printer_unavailable"


class PrintingFailed(BorneError):
    translation_key = "printing.error"


class OrderFlow(HostedFlow):
    """One order at a time, from the confirmed summary to the papers or the claim code."""

    def __init__(
        self,
        *,
        ports: Ports,
        steps: Steps,
        post: Post,
        host: Host,
        storage: StorageWatch,
        storage_polled: Callable[[DeviceCheck], None],
        catalogue: Callable[[], Catalogue],
        kiosk_id: Callable[[], str],
        ids: Callable[[], str],
    ) -> None:
        super().__init__(ports=ports, steps=steps, post=post, host=host)
        self._storage = storage
        self._storage_polled = storage_polled
        self._catalogue = catalogue
        self._kiosk_id = kiosk_id
        self._ids = ids
        self._claims = ClaimDesk(ports=ports, steps=steps, post=post, host=host)
        self._abandoned = AbandonedPayments(
            ports=ports, steps=steps, post=post, host=host, kiosk_id=kiosk_id
        )

    @property
    def reconciling(self) -> bool:
        """True while an abandoned payment is still being settled in the background."""
        return self._abandoned.reconciling

    def abandon_payment(self) -> None:
        """The session ends while the terminal is charging: settled in the background."""
        self._abandoned.abandon()

    def abort_payment(self, *, reason: str) -> None:
        """The resident cancels ("cancel") or the process stops ("shutdown") during the payment.

        The terminal is asked to abort; the pending payment then ends CANCELLED (back to the
        summary) or, when the card had already been charged, APPROVED (the order goes on). On
        shutdown its journal row stays for the start-up recovery.
        """
        reference = self._s.operation_id
        if reason == "shutdown":
            log.warning("shutdown_payment_in_flight", extra={"operation_id": reference})
        else:
            log.info("payment_cancel_requested", extra={"operation_id": reference})
        self._ports.payment.cancel()

    def confirm_summary(self) -> None:
        """Check the printer, then pay (or issue a free order at once)."""
        s = self._s
        if self.state is not S.SUMMARY or s.checking_printer:
            return
        s.notice_key = None
        s.checking_printer = True
        if not self._storage.enabled:
            self._check_printer()
            return
        self._await(
            self._storage.check,
            step="storage_check",
            then=self._storage_checked,
            failed=lambda _err: self._storage_checked(None),
        )

    def _check_printer(self) -> None:
        self._await(
            self._ports.printer.check,
            step="printer_check",
            then=self._printer_checked,
            failed=self._printer_check_failed,
        )

    def _storage_checked(self, check: DeviceCheck | None) -> None:
        """Room for the order's records, or no payment: nothing was charged."""
        if self.state is not S.SUMMARY:
            self._s.checking_printer = False
            return
        if check is not None and check.ready:
            self._check_printer()
            return
        self._s.checking_printer = False
        log.error("order_refused_storage", extra={"state": check.state if check else "failed"})
        self._storage_polled(check or DeviceCheck(ready=False, state="failed"))
        self._error(KEY_STORAGE_FULL, outcome="storage_full")

    def _printer_checked(self, check: DeviceCheck) -> None:
        s = self._s
        s.checking_printer = False
        if self.state is not S.SUMMARY:
            return
        if not check.ready:
            self._printer_unavailable(check.key or KEY_PRINTER_UNAVAILABLE, state=check.state)
        elif self._total() == 0:
            self._start_issuing()
        else:
            self._start_payment()

    def _printer_check_failed(self, err: BaseException) -> None:
        self._s.checking_printer = False
        if self.state is not S.SUMMARY:
            return
        key = err.translation_key if isinstance(err, BorneError) else KEY_PRINTER_UNAVAILABLE
        self._printer_unavailable(key, state="unreachable")

    def _printer_unavailable(self, key: str, *, state: str) -> None:
        """Nothing was charged: tell the resident, and call staff."""
        log.warning("printer_not_ready", extra={"state": state, "key": key})
        self.raise_alert(StaffAlert(reason="printer_unavailable", key=key))
        self._record(outcome="printer_unavailable", error_key=key)
        self._error(KEY_PRINTER_UNAVAILABLE, outcome="printer_unavailable")

    def _start_payment(self) -> None:
        s = self._s
        s.payment_prompt_key = None
        self._go(S.PAYMENT, reason="summary_confirmed")
        epoch = self._steps.epoch
        amount = self._total()
        reference = s.operation_id

        def on_prompt(key: str) -> None:  # any thread
            self._post(lambda: self.payment_prompt(epoch, key))

        self._await(
            lambda: self._ports.payment.pay(
                amount_cents=amount, reference=reference, on_prompt=on_prompt
            ),
            step="payment",
            then=self._paid,
            failed=self._payment_failed,
            stale=lambda future: self._abandoned.settled(
                future, reference=reference, amount=amount
            ),
        )

    def payment_prompt(self, epoch: int, key: str) -> None:
        if self._steps.is_current(epoch) and self.state is S.PAYMENT:
            self._s.payment_prompt_key = key
            self._refresh()

    def _paid(self, result: PaymentResult) -> None:
        s = self._s
        s.payment = result
        if result.status is PaymentStatus.APPROVED:
            self._start_issuing()
        elif result.status is PaymentStatus.CANCELLED:
            s.notice_key = KEY_PAYMENT_CANCELLED
            self._go(S.SUMMARY, reason="payment_cancelled")
        elif result.status is PaymentStatus.DECLINED and result.reason == KEY_TOO_MANY_ATTEMPTS:
            self._error(KEY_TOO_MANY_ATTEMPTS, outcome="declined")  # no Retry after the last one
        elif result.status is PaymentStatus.DECLINED:
            self._error(KEY_PAYMENT_DECLINED, outcome="declined", retry=S.SUMMARY)
        else:
            self._payment_unknown(KEY_PAYMENT_UNKNOWN)

    def _payment_failed(self, err: BaseException) -> None:
        if isinstance(err, OperationCancelled):
            self._s.notice_key = KEY_PAYMENT_CANCELLED
            self._go(S.SUMMARY, reason="payment_cancelled")
        elif isinstance(err, PaymentNotTaken) and err.suspended:
            # an earlier payment is unresolved: nothing charged now, but no payment until staff look
            self.raise_alert(StaffAlert(reason="payments_suspended", key=KEY_ALERT_PAYMENT_UNKNOWN))
            self._record(outcome="payment_not_taken", error_key=err.translation_key)
            self._error(err.translation_key, outcome="failed")
        elif isinstance(err, DeviceUnavailable | PaymentNotTaken):
            self._error(err.translation_key, outcome="failed", retry=S.SUMMARY)
        else:
            key = err.translation_key if isinstance(err, BorneError) else KEY_PAYMENT_UNKNOWN
            self._payment_unknown(key)

    def _payment_unknown(self, key: str) -> None:
        """The terminal's answer is unknown: a case for the counter, never an automatic retry."""
        s = self._s
        s.claim_code = self._claims.code()
        self._record(outcome="payment_unknown", error_key=key)
        self._claims.for_staff("payment_unknown", KEY_ALERT_PAYMENT_UNKNOWN)
        self._error(KEY_CLAIM_COUNTER, outcome="payment_unknown", params={"claim": s.claim_code})

    def _start_issuing(self) -> None:
        s = self._s
        s.to_issue = list(s.selected)
        self._go(S.ISSUING, reason="order_committed")
        self._issue_next()

    def _issue_next(self) -> None:
        s = self._s
        if not s.to_issue:
            self._order_done()
            return
        holder, extract = s.holder, s.extract
        if holder is None or extract is None:  # pragma: no cover - guaranteed by the flow
            self._order_failed(BorneError("personal data missing while issuing"))
            return
        document_type = s.to_issue.pop(0)
        request = IssueRequest(
            document_id=self._ids(),
            document_type=document_type,
            language=s.document_language,
            holder=holder,
            extract=extract,
            fee_cents=self._catalogue().prices_cents.get(document_type, 0),
            purpose=printed_purpose(s.purpose, s.document_language, text=s.purpose_text),
            order_reference=s.operation_id,
            order_size=len(s.issued) + len(s.to_issue) + 1,
        )
        self._await(
            lambda: self._ports.issuer.issue(request),
            step=f"issue.{document_type}",
            then=self._issued,
            failed=self._order_failed,
        )

    def _issued(self, document: IssuedDocument) -> None:
        """Sealed: its `issued` record is safe in the outbox before the paper is printed."""
        s = self._s
        s.issued.append(document)
        payment = s.payment
        record = issued_record(
            order_reference=s.operation_id,
            kiosk_id=self._kiosk_id(),
            document_id=document.document_id,
            document_type=document.document_type,
            verification_code=document.verification_code or "",
            paid=payment is not None and payment.status is PaymentStatus.APPROVED,
            holder_ref=s.extract.holder_ref if s.extract is not None else None,
        )
        self._await(
            lambda: self._ports.outbox.record(record),
            step=f"record.{document.document_type}",
            then=lambda _none: self._print_document(document),
            failed=self._order_failed,
        )

    def _print_document(self, document: IssuedDocument) -> None:
        self._await(
            lambda: self._ports.printer.print_document(document),
            step=f"print.{document.document_type}",
            then=lambda outcome: self._printed(document, outcome),
            failed=self._order_failed,
        )

    def _printed(self, document: IssuedDocument, outcome: PrintOutcome) -> None:
        if not outcome.completed:
            err = PrintingFailed(f"print job {outcome.job_id} did not complete")
            self._order_failed(err)
            return
        path = outcome.output_path if outcome.output_path is not None else document.pdf_path
        self._s.pdf_paths.append(str(path))
        if self._s.to_issue:
            self._refresh()
            self._issue_next()
        else:
            self._print_receipt()

    def _print_receipt(self) -> None:
        """After the last document of a paid order: the receipt. Its failure fails nothing."""
        s = self._s
        payment = s.payment
        if payment is None or payment.status is not PaymentStatus.APPROVED:
            self._order_done()
            return
        prices = self._catalogue().prices_cents
        receipt = ReceiptRequest(
            operation_id=s.operation_id,
            language=s.document_language,
            items=tuple(
                ReceiptItem(
                    document_type=d.document_type,
                    document_id=d.document_id,
                    price_cents=prices.get(d.document_type, 0),
                )
                for d in s.issued
            ),
            terminal_lines=payment.receipt_lines,
        )
        self._await(
            lambda: self._ports.printer.print_receipt(receipt),
            step="print.receipt",
            then=self._receipt_printed,
            failed=self._receipt_failed,
        )

    def _receipt_printed(self, outcome: PrintOutcome) -> None:
        if not outcome.completed:
            self._receipt_failed(PrintingFailed(f"receipt job {outcome.job_id} did not complete"))
            return
        self._s.receipt_printed = True
        if outcome.output_path is not None:
            log.info("receipt_printed", extra={"job_id": outcome.job_id})
        self._order_done()

    def _receipt_failed(self, err: BaseException) -> None:
        key = err.translation_key if isinstance(err, BorneError) else KEY_GENERIC
        log.error(
            "receipt_not_printed",
            extra={"operation_id": self._s.operation_id, "error_key": key},
        )
        self._s.receipt_printed = False
        self._order_done()

    def _order_done(self) -> None:
        """The papers are out: the charge is made final, then the order's record is queued (in
        this order, so that a crash in between is completed, never reversed, at start-up)."""
        s = self._s
        s.outcome = "completed"
        s.wipe_personal()
        record = self._order_record(outcome="completed", error_key=None)
        if s.payment is not None and s.payment.status is PaymentStatus.APPROVED:
            reference = s.operation_id
            s.recorded = True
            self._await(
                lambda: _chain(
                    lambda: self._ports.payment.complete(reference=reference),
                    lambda: self._ports.outbox.record(record),
                ),
                step="outbox",
                then=lambda _none: None,
                failed=_log_outbox_error,
                keep_on_stale=True,
            )
        else:
            self._record(outcome="completed", error_key=None)
        self._go(S.TAKE_DOCUMENTS, reason="order_completed")

    def _order_failed(self, err: BaseException) -> None:
        s = self._s
        key = err.translation_key if isinstance(err, BorneError) else KEY_GENERIC
        log.warning("order_failed", extra={"operation_id": s.operation_id, "error_key": key})
        s.wipe_personal()
        payment = s.payment
        if payment is None or payment.status is not PaymentStatus.APPROVED:
            self._record(outcome="failed", error_key=key)
            self._error(key, outcome="failed")
            return
        self._go(S.REVERSING, reason="order_failed")
        self._await(
            lambda: self._ports.payment.reverse(
                reference=s.operation_id, receipt_number=payment.receipt_number or ""
            ),
            step="reverse",
            then=lambda result: self._reversed(key, result),
            failed=lambda _err: self._reversed(key, None),
        )

    def _reversed(self, cause_key: str, result: PaymentResult | None) -> None:
        s = self._s
        s.reversal = result
        ok = result is not None and result.status is PaymentStatus.APPROVED
        outcome = "reversed" if ok else "reversal_failed"
        s.claim_code = self._claims.code()
        self._record(outcome=outcome, error_key=cause_key)
        if not ok:
            self._claims.for_staff("reversal_failed", KEY_ALERT_REVERSAL_FAILED)
        key = KEY_CLAIM_REFUNDED if ok else KEY_CLAIM_COUNTER
        self._error(key, outcome=outcome, params={"claim": s.claim_code})

    def _record(self, *, outcome: str, error_key: str | None) -> None:
        record = self._order_record(outcome=outcome, error_key=error_key)
        self._s.recorded = True
        self._await(
            lambda: self._ports.outbox.record(record),
            step="outbox",
            then=lambda _none: None,
            failed=_log_outbox_error,
            keep_on_stale=True,
        )

    def _order_record(self, *, outcome: str, error_key: str | None) -> IssuanceRecord:
        s = self._s
        extra = {"document_language": s.document_language}
        if error_key is not None:
            extra["error_key"] = error_key
        if s.receipt_printed is not None:
            extra["receipt"] = "printed" if s.receipt_printed else "failed"
        if s.claim_code is not None:
            extra["claim_code"] = s.claim_code
        return issuance_record(
            operation_id=s.operation_id,
            kiosk_id=self._kiosk_id(),
            outcome=outcome,
            issued=s.issued,
            payment=s.payment,
            extra=extra,
        )

    def _total(self) -> int:
        return total_cents(self._s, self._catalogue())


def _chain(first: Callable[[], Future[None]], second: Callable[[], Future[None]]) -> Future[None]:
    """`second` once `first` settled (whatever its outcome, logged); settles as `second` does."""
    chained: Future[None] = Future()

    def relay(done: Future[None]) -> None:
        err: BaseException | None = (
            RuntimeError("cancelled") if done.cancelled() else done.exception()
        )
        if err is not None:
            chained.set_exception(err)
        else:
            chained.set_result(None)

    def then(done: Future[None]) -> None:
        _log_payment_completion(done)
        try:
            second().add_done_callback(relay)
        except Exception as err:  # noqa: BLE001 - handed to the caller through the future
            chained.set_exception(err)

    try:
        first().add_done_callback(then)
    except Exception as err:  # noqa: BLE001
        chained.set_exception(err)
    return chained


def _log_payment_completion(done: Future[None]) -> None:
    err = None if done.cancelled() else done.exception()
    if err is not None:
        log.error("payment_completion_not_recorded", extra={"error": type(err).__name__})


def _log_outbox_error(err: BaseException | None) -> None:
    log.error("outbox_record_failed", extra={"error": type(err).__name__})

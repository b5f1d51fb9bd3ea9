"""The resident's journey: read the eID, verify the PIN, choose, pay, issue, print, hand over.

`JourneyController` is pure logic. It never blocks: every port call returns a `Future`, and the
continuation is handed to `post`, which runs it on the controller's own thread (the Qt main thread
through `ui.bridge.QtPoster`, or a queue pumped by the tests). All public methods must be called on
that thread.

Money rules (see also `kiosk.session`):

* nothing is charged before the resident confirms the summary, and a free order skips payment;
* once the payment is approved the order is committed: each document is issued (logged by the
  issuer), its `issued` record queued, then printed; if anything fails the whole amount is
  reversed and the resident gets a claim code; the charge is completed before the order's record
  is queued, so a crash in between is completed at start-up, never refunded (`kiosk.recovery`);
* if the eID is removed while the terminal is still charging, the session is wiped at once and the
  late result is reconciled in the background (an approval is reversed and recorded);
* every order that reached the payment step is recorded in the outbox, without personal data;
* the printer is checked before the resident pays: a printer that cannot print takes no money;
* a paid order ends with a receipt (terminal lines and documents); a receipt that fails to print
  does not fail the order, it is logged and reported;
* a refused reversal or an unknown payment outcome prints a claim slip carrying the same claim code
  as the screen, and raises a staff alert: once the resident's session is over the kiosk stays
  OUT_OF_SERVICE until staff acknowledge (`staff_acknowledge`). Alerts found at start-up (unusable
  seal token, unsettled payments) are handed to the constructor and have the same effect.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from hardware.errors import (
    BorneError,
    DeviceBusy,
    DeviceTimeout,
    DeviceUnavailable,
    OperationCancelled,
)
from hardware.payment.claim import ClaimSlip, claim_code
from kiosk.flows.staff import StaffFlow
from kiosk.flows.steps import Steps, call
from kiosk.flows.storage import (
    KEY_ALERT_STORAGE_FULL,
    KEY_STORAGE_FULL,
    REASON_STORAGE_FULL,
    StorageWatch,
)
from kiosk.ports import (
    CardEventKind,
    CardHolder,
    Catalogue,
    DeviceCheck,
    IssuanceRecord,
    IssuedDocument,
    IssueRequest,
    PaymentNotTaken,
    PaymentResult,
    PaymentStatus,
    PinOutcome,
    PinResult,
    Ports,
    Presence,
    PrintOutcome,
    ReceiptItem,
    ReceiptRequest,
    RegisterExtract,
    StaffAlert,
)
from kiosk.records import issuance_record, issued_record
from kiosk.session import COMMITTED_STATES, SessionData, SessionMachine, SessionState
from kiosk.view import (
    PROMPT_KEYS,
    JourneyView,
    OfferedDocument,
    ViewSettings,
    build_view,
    document_title_key,
    total_cents,
)

__all__ = [  # the view's names stay importable from here
    "PROMPT_KEYS",
    "JourneyController",
    "JourneyReport",
    "JourneySettings",
    "JourneyView",
    "OfferedDocument",
    "PrintingFailed",
    "document_title_key",
]

T = TypeVar("T")
S = SessionState
log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
_DIGITS = "0123456789"

DEFAULT_TIMEOUTS_S: Mapping[SessionState, float] = MappingProxyType(
    {
        S.LANGUAGE: 60.0,
        S.INSERT_CARD: 60.0,
        S.PIN: 60.0,
        S.CHOOSE_DOCUMENTS: 90.0,
        S.SUMMARY: 90.0,
        S.TAKE_DOCUMENTS: 60.0,
        S.REMOVE_CARD: 30.0,
        S.ERROR: 60.0,
    }
)

REPORTS_KEPT = 100
"""How many of the latest journey reports the controller keeps (listeners see every one)."""

KEY_PIN_WRONG = "pin.wrong"
KEY_PIN_LAST_TRY = "pin.last_try"
KEY_PIN_TIMED_OUT = "pin.timed_out"
KEY_PAYMENT_CANCELLED = "payment.cancelled"
KEY_PAYMENT_DECLINED = "payment.declined"
KEY_TOO_MANY_ATTEMPTS = "payment.too_many_attempts"
KEY_READER_UNAVAILABLE = "eid.error.no_reader"
REASON_READER_UNAVAILABLE = "card_reader_unavailable"
KEY_PAYMENT_UNKNOWN = "payment.unknown"
KEY_PIN_BLOCKED = "eid.error.pin_blocked"
KEY_CARD_REMOVED = "eid.error.card_removed"
KEY_GENERIC = "error.generic"
KEY_CLAIM_REFUNDED = "error.claim_refunded"
KEY_CLAIM_COUNTER = "error.claim_counter"
KEY_PRINTER_UNAVAILABLE = "error.printer_unavailable"
KEY_ALERT_REVERSAL_FAILED = "out_of_service.reason.reversal_failed"
KEY_ALERT_PAYMENT_UNKNOWN = "out_of_service.reason.payment_unknown"
KEY_ALERT_MANUAL_REVIEW = "out_of_service.reason.manual_review"


class PrintingFailed(BorneError):
    translation_key = "printing.error"


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneySettings:
    commune_name: str
    catalogue: Catalogue
    kiosk_id: str
    languages: tuple[str, ...] = ("fr", "nl", "de", "en")
    timeouts_s: Mapping[SessionState, float] = field(default_factory=lambda: DEFAULT_TIMEOUTS_S)
    timeout_warning_s: float = 20.0
    pin_min_length: int = 4
    pin_max_length: int = 12
    storage_poll_s: float = 30.0
    """How often the idle kiosk checks its free disk space (seconds)."""

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyReport:
    """What one session did, for the autoplay's JSON output and the bench (no personal data)."""

    operation_id: str
    outcome: str
    language: str
    document_language: str
    documents: tuple[str, ...]
    document_ids: tuple[str, ...]
    pdf_paths: tuple[str, ...]
    amount_cents: int
    payment_status: str | None
    receipt_number: str | None
    reversal_status: str | None
    error_key: str | None
    steps_ms: Mapping[str, float]
    total_ms: float
    receipt_printed: bool | None = None
    claim_code: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "operation_id": self.operation_id,
            "outcome": self.outcome,
            "language": self.language,
            "document_language": self.document_language,
            "documents": list(self.documents),
            "document_ids": list(self.document_ids),
            "pdf_paths": list(self.pdf_paths),
            "amount_cents": self.amount_cents,
            "payment_status": self.payment_status,
            "receipt_number": self.receipt_number,
            "reversal_status": self.reversal_status,
            "error_key": self.error_key,
            "steps_ms": dict(self.steps_ms),
            "total_ms": self.total_ms,
            "receipt_printed": self.receipt_printed,
            "claim_code": self.claim_code,
        }


class JourneyController:
    """Drives one resident at a time through the journey; see the module docstring."""

    def __init__(
        self,
        *,
        ports: Ports,
        settings: JourneySettings,
        post: Post,
        clock: Callable[[], float],
        ids: Callable[[], str],
        alerts: Sequence[StaffAlert] = (),
    ) -> None:
        self._ports = ports
        self._settings = settings
        self._post = post
        self._clock = clock
        self._ids = ids
        self._machine = SessionMachine()
        self._steps = Steps(post=post, clock=clock, fail=self._fail)
        self._staff = StaffFlow(
            ports=ports,
            steps=self._steps,
            kiosk_id=settings.kiosk_id,
            ids=ids,
        )
        self._pin = bytearray()
        self._orphans = 0
        self._card_present = False
        self._last_activity = clock()
        self._timeout_alert = False
        self._warning: int | None = None
        self._s = self._new_session()
        self._started = False
        self._change_listeners: list[Callable[[JourneyView], None]] = []
        self._idle_hooks: list[Callable[[], None]] = []
        self._report_listeners: list[Callable[[JourneyReport], None]] = []
        self._reports: deque[JourneyReport] = deque(maxlen=REPORTS_KEPT)
        self._storage = StorageWatch(
            port=ports.storage, post=post, clock=clock, poll_s=settings.storage_poll_s
        )
        self._view = self._view_now()
        for alert in alerts:
            self.raise_alert(alert)

    # -- observation ------------------------------------------------------------------------
    @property
    def view(self) -> JourneyView:
        return self._view

    @property
    def state(self) -> SessionState:
        return self._machine.state

    @property
    def reports(self) -> tuple[JourneyReport, ...]:
        return tuple(self._reports)

    @property
    def settings(self) -> JourneySettings:
        return self._settings

    @property
    def reconciling(self) -> bool:
        """True while an abandoned payment is still being settled in the background."""
        return self._orphans > 0

    @property
    def alerts(self) -> tuple[StaffAlert, ...]:
        """Staff alerts not acknowledged yet."""
        return self._staff.alerts

    def on_change(self, listener: Callable[[JourneyView], None]) -> None:
        self._change_listeners.append(listener)

    def on_idle(self, hook: Callable[[], None]) -> None:
        """`hook` runs at each tick while no resident is served (attract or out of service)."""
        self._idle_hooks.append(hook)

    @property
    def between_residents(self) -> bool:
        return self.state in (S.ATTRACT, S.OUT_OF_SERVICE) and not self._orphans

    def apply_settings(self, settings: JourneySettings) -> None:
        """New documents, prices, languages or time-outs; only between residents."""
        if not self.between_residents:
            raise ValueError("settings change only between residents")
        self._settings = settings
        self._refresh()

    def remote_service(self, *, out: bool, alert: StaffAlert) -> None:
        """The operator puts the kiosk out of service (`alert`) or back in service."""
        if out:
            if not self._staff.has_alert(alert.reason):
                self.raise_alert(alert)
        elif self._staff.clear(alert.reason) and self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="remote_back_in_service")

    def on_report(self, listener: Callable[[JourneyReport], None]) -> None:
        self._report_listeners.append(listener)

    # -- resident actions -------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch: leaves the attract screen, or postpones the inactivity time-out."""
        if self.state is S.ATTRACT:
            self._begin()
            return
        self._activity()

    def extend_time(self) -> None:
        self._activity()

    def choose_language(self, code: str) -> None:
        if code not in self._settings.languages:
            return
        s = self._s
        s.language = code
        doc_languages = tuple(self._settings.catalogue.languages)
        if code in doc_languages:
            s.document_language = code
        self._activity()
        if self.state is S.LANGUAGE:
            if self._card_present:
                self._start_reading()
            else:
                self._go(S.INSERT_CARD, reason="language_chosen")

    def back(self) -> None:
        if self.state is S.INSERT_CARD:
            self._go(S.LANGUAGE, reason="back")
        elif self.state is S.SUMMARY:
            self._go(S.CHOOSE_DOCUMENTS, reason="back")

    def card_event(self, kind: CardEventKind) -> None:
        if kind is CardEventKind.INSERTED:
            self.card_inserted()
        elif kind is CardEventKind.REMOVED:
            self.card_removed()
        elif kind is CardEventKind.READER_UNAVAILABLE:
            self._reader_unavailable()
        elif kind is CardEventKind.READER_RESTORED:
            self._reader_restored()
        else:
            self._reader_lost()

    def _reader_unavailable(self) -> None:
        """The PC/SC service is gone: end what can be ended, then out of service until it is back."""
        if self.state not in (S.ATTRACT, S.OUT_OF_SERVICE):
            self._reader_lost()
        if not self._staff.has_alert(REASON_READER_UNAVAILABLE):
            self.raise_alert(
                StaffAlert(reason=REASON_READER_UNAVAILABLE, key=KEY_READER_UNAVAILABLE)
            )

    def _reader_restored(self) -> None:
        """The reader answers again: its own alert settles by itself; others still need staff."""
        if self._staff.clear(REASON_READER_UNAVAILABLE) and self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="reader_restored")
        else:
            self._refresh()

    def card_inserted(self) -> None:
        self._card_present = True
        if self.state is S.ATTRACT:
            self._begin()
        elif self.state is S.INSERT_CARD:
            self._start_reading()
        else:
            self._refresh()

    def card_removed(self) -> None:
        self._card_present = False
        state = self.state
        if state in COMMITTED_STATES or state is S.TAKE_DOCUMENTS:
            log.info("card_removed_order_continues", extra={"state": state.value})
            self._refresh()
        elif state is S.REMOVE_CARD:
            self._idle(reason="card_removed")
        elif state in (S.ATTRACT, S.LANGUAGE, S.INSERT_CARD, S.OUT_OF_SERVICE):
            self._refresh()
        else:
            if state is S.PAYMENT:
                self._ports.payment.cancel()  # ECR abort: the terminal stops asking for the card
                self._orphans += 1  # the pending charge is settled by `_payment_settled`
            outcome = "abandoned" if self._s.outcome == "cancelled" else self._s.outcome
            self._close(outcome=outcome, reason="card_removed")

    def pin_digit(self, digit: str) -> None:
        if self.state is not S.PIN or len(digit) != 1 or digit not in _DIGITS:
            return
        if len(self._pin) < self._settings.pin_max_length:
            self._pin.append(ord(digit))
        self._activity()

    def pin_erase(self) -> None:
        if self.state is S.PIN and self._pin:
            self._pin[-1] = 0
            del self._pin[-1]
        self._activity()

    def pin_submit(self) -> None:
        if self.state is not S.PIN or len(self._pin) < self._settings.pin_min_length:
            return
        pin = bytearray(self._pin)  # ownership passes to the card adapter, which wipes it
        self._wipe_pin()
        self._s.notice_key = None
        self._go(S.VERIFYING, reason="pin_submitted")
        self._await(
            lambda: self._ports.card.verify_pin(pin), step="verify_pin", then=self._pin_checked
        )

    def toggle_document(self, document_type: str) -> None:
        if self.state is not S.CHOOSE_DOCUMENTS:
            return
        if document_type not in self._settings.catalogue.prices_cents:
            return
        selected = self._s.selected
        if document_type in selected:
            selected.remove(document_type)
        else:
            selected.append(document_type)
            order = list(self._settings.catalogue.prices_cents)
            selected.sort(key=order.index)
        self._activity()

    def set_document_language(self, code: str) -> None:
        if code in self._settings.catalogue.languages:
            self._s.document_language = code
        self._activity()

    def confirm_documents(self) -> None:
        if self.state is S.CHOOSE_DOCUMENTS and self._s.selected:
            self._go(S.SUMMARY, reason="documents_chosen")

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

    def _storage_polled(self, check: DeviceCheck) -> None:
        if not check.ready:
            if not self._staff.has_alert(REASON_STORAGE_FULL):
                self.raise_alert(StaffAlert(reason=REASON_STORAGE_FULL, key=KEY_ALERT_STORAGE_FULL))
        elif self._staff.has_alert(REASON_STORAGE_FULL):
            log.info("storage_restored")
            if self._staff.clear(REASON_STORAGE_FULL) and self.state is S.OUT_OF_SERVICE:
                self._go(S.ATTRACT, reason="storage_restored")
            else:
                self._refresh()

    # -- staff ------------------------------------------------------------------------------
    def raise_alert(self, alert: StaffAlert) -> None:
        """Call staff: logged, recorded for the central server, and OUT_OF_SERVICE once idle."""
        self._staff.raise_alert(alert)
        if self.state is S.ATTRACT:
            self._go(S.OUT_OF_SERVICE, reason=alert.reason)
        else:
            self._refresh()

    def staff_acknowledge(self) -> None:
        """Maintenance: staff settled the alerts. The seal token is checked again before service."""
        if self.state is not S.OUT_OF_SERVICE:
            return
        self._staff.acknowledge(
            session=self._s,
            back_in_service=self._back_in_service,
            still_failing=self.raise_alert,
        )

    def shut_down(self) -> None:
        """The process is stopping (SIGTERM/SIGINT): wipe the session, keep nothing personal.

        A payment in flight is asked to abort; its journal row stays for the start-up recovery,
        which settles it with the terminal before the next resident is served. Results still in
        flight are dropped.
        """
        state = self.state
        if state is S.PAYMENT:
            log.warning("shutdown_payment_in_flight", extra={"operation_id": self._s.operation_id})
            self._ports.payment.cancel()
        self._wipe_pin()
        self._s.wipe_personal()
        self._steps.new_epoch()
        log.info("session_wiped_on_shutdown", extra={"state": state.value})

    def retry(self) -> None:
        target = self._s.retry_target
        if self.state is not S.ERROR or target is None:
            return
        self._s.retry_target = None
        self._s.error_key = None
        if target is S.READING and self._card_present:
            self._start_reading()
        elif target is S.SUMMARY:
            self._go(S.SUMMARY, reason="retry")

    def cancel(self) -> None:
        state = self.state
        if state in (S.LANGUAGE, S.INSERT_CARD) or state in (
            S.READING,
            S.PIN,
            S.VERIFYING,
            S.CHOOSE_DOCUMENTS,
            S.SUMMARY,
        ):
            self._close(outcome="cancelled", reason="cancel")
        elif state is S.PAYMENT:
            # the terminal is asked to abort; the pending payment then ends CANCELLED (back to the
            # summary) or, when the card had already been charged, APPROVED (the order goes on)
            log.info("payment_cancel_requested", extra={"operation_id": self._s.operation_id})
            self._ports.payment.cancel()
        elif state is S.ERROR:
            self._close(outcome=self._s.outcome, reason="error_dismissed")

    def _back_in_service(self) -> None:
        if self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="staff_acknowledged")

    def documents_taken(self) -> None:
        if self.state is S.TAKE_DOCUMENTS:
            self._close(outcome=self._s.outcome, reason="documents_taken")

    def tick(self) -> None:
        """Call about once a second: applies the inactivity time-out of the current state, and
        watches the free disk space while idle."""
        state = self.state
        if state in (S.ATTRACT, S.OUT_OF_SERVICE):
            self._storage.poll(self._storage_polled)
        if self.between_residents:
            for hook in list(self._idle_hooks):
                hook()
            if self.state is not state:
                return
        limit = self._settings.timeouts_s.get(state)
        if limit is None:
            return
        idle = self._clock() - self._last_activity
        if idle >= limit:
            self._timed_out(state)
            return
        remaining = limit - idle
        warning = (
            math.ceil(remaining)
            if remaining <= self._settings.timeout_warning_s and state is not S.REMOVE_CARD
            else None
        )
        if warning != self._warning:
            self._warning = warning
            self._refresh()

    # -- flow -------------------------------------------------------------------------------
    def _begin(self) -> None:
        if self._staff.out_of_service:
            log.info("start_refused_out_of_service")
            return
        if self._orphans:
            log.info("start_refused_reconciling")
            return
        self._s = self._new_session()
        self._started = True
        self._go(S.LANGUAGE, reason="start")

    def _start_reading(self) -> None:
        self._go(S.READING, reason="card_inserted")
        self._await(self._ports.card.read_holder, step="read_holder", then=self._holder_read)

    def _holder_read(self, holder: CardHolder) -> None:
        self._s.holder = holder
        self._s.card_read = True
        self._await(self._ports.card.pin_tries_left, step="pin_tries", then=self._tries_known)

    def _tries_known(self, tries: int | None) -> None:
        self._s.tries_left = tries
        if tries == 0:
            self._error(KEY_PIN_BLOCKED, outcome="failed")
            return
        self._s.notice_key = KEY_PIN_LAST_TRY if tries == 1 else None
        self._go(S.PIN, reason="holder_read")

    def _pin_checked(self, result: PinResult) -> None:
        s = self._s
        if result.tries_left is not None:
            s.tries_left = result.tries_left
        if result.outcome is PinOutcome.ACCEPTED:
            holder = s.holder
            if holder is None:  # pragma: no cover - read_holder always precedes the PIN
                self._error(KEY_GENERIC, outcome="failed")
                return
            self._await(self._ports.register.challenge, step="citizen_challenge", then=self._prove)
        elif result.outcome is PinOutcome.BLOCKED or s.tries_left == 0:
            self._error(KEY_PIN_BLOCKED, outcome="failed")
        else:
            if result.outcome is PinOutcome.WRONG:
                s.notice_key = KEY_PIN_LAST_TRY if s.tries_left == 1 else KEY_PIN_WRONG
            elif result.outcome is PinOutcome.TIMED_OUT:
                s.notice_key = KEY_PIN_TIMED_OUT
            self._go(S.PIN, reason=f"pin_{result.outcome.value}")

    def _prove(self, nonce: str) -> None:
        """The card signs the central's nonce: only the citizen present gets the register's data."""
        self._await(
            lambda: self._ports.card.prove_presence(nonce),
            step="citizen_proof",
            then=self._proved,
        )

    def _proved(self, presence: Presence) -> None:
        holder = self._s.holder
        if holder is None:  # pragma: no cover - read_holder always precedes the PIN
            self._error(KEY_GENERIC, outcome="failed")
            return
        number = holder.national_number
        self._await(
            lambda: self._ports.register.extract(number, presence),
            step="register_extract",
            then=self._extract_loaded,
        )

    def _extract_loaded(self, extract: RegisterExtract) -> None:
        self._s.extract = extract
        self._go(S.CHOOSE_DOCUMENTS, reason="pin_accepted")

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
            self._post(lambda: self._payment_prompt(epoch, key))

        self._await(
            lambda: self._ports.payment.pay(
                amount_cents=amount, reference=reference, on_prompt=on_prompt
            ),
            step="payment",
            then=self._paid,
            failed=self._payment_failed,
            stale=lambda future: self._payment_settled(future, reference=reference, amount=amount),
        )

    def _payment_prompt(self, epoch: int, key: str) -> None:
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
        s.claim_code = self._claim_code()
        self._record(outcome="payment_unknown", error_key=key)
        self._claim_for_staff("payment_unknown", KEY_ALERT_PAYMENT_UNKNOWN)
        self._error(KEY_CLAIM_COUNTER, outcome="payment_unknown", params={"claim": s.claim_code})

    def _claim_for_staff(self, reason: str, key: str) -> None:
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

    def _payment_settled(
        self, future: Future[PaymentResult], *, reference: str, amount: int
    ) -> None:
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
                kiosk_id=self._settings.kiosk_id,
                outcome=outcome,
                amount_cents=amount,
                payment_status=outcome,
                receipt_number=receipt,
            )
            self._call(lambda: self._ports.outbox.record(record)).add_done_callback(
                _log_outbox_failure
            )
        self._refresh()

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
            fee_cents=self._settings.catalogue.prices_cents.get(document_type, 0),
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
            kiosk_id=self._settings.kiosk_id,
            document_id=document.document_id,
            document_type=document.document_type,
            verification_code=document.verification_code or "",
            paid=payment is not None and payment.status is PaymentStatus.APPROVED,
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
        prices = self._settings.catalogue.prices_cents
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
        s.claim_code = self._claim_code()
        self._record(outcome=outcome, error_key=cause_key)
        if not ok:
            self._claim_for_staff("reversal_failed", KEY_ALERT_REVERSAL_FAILED)
        key = KEY_CLAIM_REFUNDED if ok else KEY_CLAIM_COUNTER
        self._error(key, outcome=outcome, params={"claim": s.claim_code})

    def _reader_lost(self) -> None:
        self._card_present = False
        if self.state in COMMITTED_STATES or self.state in (
            S.TAKE_DOCUMENTS,
            S.ERROR,
            S.OUT_OF_SERVICE,
        ):
            self._refresh()
        elif self.state is S.PAYMENT:
            self.card_removed()
        else:
            self._error(DeviceUnavailable.translation_key, outcome="failed")

    def _timed_out(self, state: SessionState) -> None:
        if state is S.REMOVE_CARD:
            if not self._timeout_alert:
                self._timeout_alert = True
                log.warning("card_left_in_reader")
                self._refresh()
            return
        outcome = "timed_out" if self._s.outcome == "cancelled" else self._s.outcome
        self._close(outcome=outcome, reason="timeout")

    # -- plumbing ---------------------------------------------------------------------------
    def _close(self, *, outcome: str, reason: str) -> None:
        """End the session: wipe everything personal, report, then remove card or attract."""
        s = self._s
        self._wipe_pin()
        s.wipe_personal()
        self._steps.new_epoch()  # results still in flight for this session are dropped
        if s.card_read:
            self._call(self._ports.card.end_session).add_done_callback(_log_end_session)
        s.outcome = outcome
        self._publish_report(s)
        if self._card_present:
            self._go(S.REMOVE_CARD, reason=reason)
        else:
            self._s = self._new_session()  # nothing of the resident's choices outlives the card
            self._started = False
            self._idle(reason=reason)

    def _idle(self, *, reason: str) -> None:
        """The session is over: attract the next resident, or wait for staff."""
        self._go(S.OUT_OF_SERVICE if self._staff.out_of_service else S.ATTRACT, reason=reason)

    def _publish_report(self, s: SessionData) -> None:
        if not self._started:
            return
        self._started = False
        payment = s.payment
        report = JourneyReport(
            operation_id=s.operation_id,
            outcome=s.outcome,
            language=s.language,
            document_language=s.document_language,
            documents=tuple(d.document_type for d in s.issued),
            document_ids=tuple(d.document_id for d in s.issued),
            pdf_paths=tuple(s.pdf_paths),
            amount_cents=payment.amount_cents if payment is not None else 0,
            payment_status=payment.status.value if payment is not None else None,
            receipt_number=payment.receipt_number if payment is not None else None,
            reversal_status=s.reversal.status.value if s.reversal is not None else None,
            error_key=s.error_key,
            steps_ms=MappingProxyType(dict(s.steps_ms)),
            total_ms=round((self._clock() - s.started_at) * 1000.0, 3),
            receipt_printed=s.receipt_printed,
            claim_code=s.claim_code,
        )
        self._reports.append(report)
        log.info(
            "journey_report",
            extra={"operation_id": report.operation_id, "outcome": report.outcome},
        )
        for listener in list(self._report_listeners):
            listener(report)

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
            kiosk_id=self._settings.kiosk_id,
            outcome=outcome,
            issued=s.issued,
            payment=s.payment,
            extra=extra,
        )

    def _error(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        s = self._s
        s.outcome = outcome
        s.error_key = key
        s.error_params = dict(params or {})
        s.retry_target = retry
        self._go(S.ERROR, reason=outcome)

    def _fail(self, err: BaseException) -> None:
        """Default failure path before any money moved."""
        if isinstance(err, BorneError):
            key = err.translation_key
        else:
            log.error("unexpected_failure", exc_info=err)
            key = KEY_GENERIC
        retriable = isinstance(err, DeviceTimeout | DeviceBusy) and self._card_present
        retry = S.READING if retriable and self.state is S.READING else None
        self._error(key, outcome="failed", retry=retry)

    @property
    def _epoch(self) -> int:
        """The current session's epoch (see `kiosk.flows.steps`)."""
        return self._steps.epoch

    def _call(self, start: Callable[[], Future[T]]) -> Future[T]:
        return call(start)

    def _await(
        self,
        start: Callable[[], Future[T]],
        *,
        step: str,
        then: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        stale: Callable[[Future[T]], None] | None = None,
        keep_on_stale: bool = False,
    ) -> None:
        """Start a port call and continue on the controller's thread when it settles."""
        self._steps.await_(
            start,
            session=self._s,
            step=step,
            then=then,
            failed=failed,
            stale=stale,
            keep_on_stale=keep_on_stale,
        )

    def _go(self, target: SessionState, *, reason: str) -> None:
        if target is not S.REMOVE_CARD:
            self._timeout_alert = False
        self._machine.go(target, reason=reason)
        self._activity()

    def _activity(self) -> None:
        self._last_activity = self._clock()
        self._warning = None
        self._refresh()

    def _refresh(self) -> None:
        view = self._view_now()
        if view == self._view:
            return
        self._view = view
        for listener in list(self._change_listeners):
            listener(view)

    def _wipe_pin(self) -> None:
        for i in range(len(self._pin)):
            self._pin[i] = 0
        self._pin.clear()

    def _new_session(self) -> SessionData:
        language = self._settings.default_language
        doc_languages = tuple(self._settings.catalogue.languages)
        return SessionData(
            operation_id=self._ids(),
            started_at=self._clock(),
            language=language,
            document_language=language if language in doc_languages else doc_languages[0],
        )

    def _claim_code(self) -> str:
        """The code the claim slip prints too: both derive it from the payment reference."""
        return claim_code(self._s.operation_id)

    def _total(self) -> int:
        return total_cents(self._s, self._settings.catalogue)

    def _view_now(self) -> JourneyView:
        return build_view(
            self._s,
            state=self._machine.state,
            settings=ViewSettings(
                commune_name=self._settings.commune_name,
                languages=self._settings.languages,
                catalogue=self._settings.catalogue,
                pin_min_length=self._settings.pin_min_length,
            ),
            card_present=self._card_present,
            pin_dots=len(self._pin),
            timeout_warning_s=self._warning,
            reconciling=self._orphans > 0,
            remove_card_alert=self._timeout_alert,
            alert_keys=tuple(a.key for a in self._staff.alerts),
        )


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


def _log_claim_slip(done: Future[PrintOutcome]) -> None:
    err = None if done.cancelled() else done.exception()
    if err is not None:
        log.error("claim_slip_not_printed", extra={"error": type(err).__name__})
    elif not done.cancelled() and not done.result().completed:
        log.error("claim_slip_not_printed", extra={"job_id": done.result().job_id})
    else:
        log.info("claim_slip_printed")


def _log_end_session(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("end_session_failed", extra={"error": type(done.exception()).__name__})


def _log_outbox_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        _log_outbox_error(done.exception())


def _log_outbox_error(err: BaseException | None) -> None:
    log.error("outbox_record_failed", extra={"error": type(err).__name__})

"""The resident's journey: read the eID, verify the PIN, choose, pay, issue, print, hand over.

`JourneyController` is pure logic. It never blocks: every port call returns a `Future`, and the
continuation is handed to `post`, which runs it on the controller's own thread (the Qt main thread
through `ui.bridge.QtPoster`, or a queue pumped by the tests). All public methods must be called on
that thread.

The controller keeps the card events and the time-outs and composes the flows of `kiosk.flows`
(`kiosk.flows.compose`): identify (card, PIN, proof, extract), choice (documents, purpose,
summary), order (pay, issue, print, reverse, claim) and service (staff alerts keep the kiosk
OUT_OF_SERVICE once the session is over, until staff acknowledge; those found at start-up too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future

from hardware.errors import DeviceUnavailable
from kiosk.flows.choice import ChoiceFlow
from kiosk.flows.citizen import CitizenFlows
from kiosk.flows.compose import compose_flows
from kiosk.flows.delivery import KEY_NOTHING_DELIVERABLE, DeliveryFlow
from kiosk.flows.email import AFTER_ORDER_STATES
from kiosk.flows.failure import failure_shown
from kiosk.flows.help import HelpFlow
from kiosk.flows.host import Host
from kiosk.flows.identify import KEY_PIN_LAST_TRY, KEY_PIN_WRONG, IdentifyFlow
from kiosk.flows.order import OrderFlow, PrintingFailed
from kiosk.flows.pin import PinEntry
from kiosk.flows.pinpad import PINPAD
from kiosk.flows.purpose import PURPOSE
from kiosk.flows.service import ServiceFlow
from kiosk.flows.staff import KEY_ALERT_PAYMENT_UNKNOWN, KEY_GENERIC, StaffFlow
from kiosk.flows.steps import Steps, call
from kiosk.flows.storage import StorageWatch
from kiosk.flows.timeouts import Inactivity, Verdict
from kiosk.journey_observe import ObservedJourney
from kiosk.journey_settings import DEFAULT_TIMEOUTS_S, JourneySettings
from kiosk.ports import CardEventKind, Ports, StaffAlert
from kiosk.report import JourneyReport, ReportLog, journey_report
from kiosk.session import (
    CANCELLABLE_STATES,
    COMMITTED_STATES,
    SessionData,
    SessionMachine,
    SessionState,
)
from kiosk.view import PROMPT_KEYS, JourneyView, OfferedDocument, build_view, document_title_key

__all__ = [  # the names of the view, the flows and the report stay importable from here
    "DEFAULT_TIMEOUTS_S",
    "KEY_ALERT_PAYMENT_UNKNOWN",
    "KEY_GENERIC",
    "KEY_PIN_LAST_TRY",
    "KEY_PIN_WRONG",
    "PROMPT_KEYS",
    "JourneyController",
    "JourneyReport",
    "JourneySettings",
    "JourneyView",
    "OfferedDocument",
    "PrintingFailed",
    "document_title_key",
]

S = SessionState
log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]

REPORTS_KEPT = 100
"""How many of the latest journey reports the controller keeps (listeners see every one)."""

KEY_ALERT_MANUAL_REVIEW = "out_of_service.reason.manual_review"


class JourneyController(ObservedJourney):
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
        self._staff = StaffFlow(ports=ports, steps=self._steps, kiosk_id=settings.kiosk_id, ids=ids)
        self._pin = PinEntry()
        self._card_present = False
        self._inactivity = Inactivity(clock=clock)
        self.timeout_factor = 1.0  # multiplies every inactivity time-out (audio mode: x2)
        self._s = self._new_session()
        self._started = False
        self._change_listeners: list[Callable[[JourneyView], None]] = []
        self._idle_hooks: list[Callable[[], None]] = []
        self._reports = ReportLog(kept=REPORTS_KEPT)
        self._storage = StorageWatch(
            port=ports.storage, post=post, clock=clock, poll_s=settings.storage_poll_s
        )
        self._identify, self._order, self._service, self._choice = self._compose_flows()
        self._citizen = CitizenFlows(ports=ports, steps=self._steps, post=post, host=self._host)
        self._help = HelpFlow(ports=ports)  # help and card-left calls: the kiosk stays in service
        self._delivery = DeliveryFlow(
            ports=ports, steps=self._steps, undeliverable=self._undeliverable
        )
        self._view = self._view_now()
        for alert in alerts:
            self.raise_alert(alert)

    def _compose_flows(self) -> tuple[IdentifyFlow, OrderFlow, ServiceFlow, ChoiceFlow]:
        self._host = Host(
            session=lambda: self._s,
            state=lambda: self._machine.state,
            go=self._go,
            error=self._error,
            refresh=self._refresh,
            raise_alert=self.raise_alert,
        )
        flows = compose_flows(
            ports=self._ports,
            steps=self._steps,
            post=self._post,
            host=self._host,
            staff=self._staff,
            storage=self._storage,
            settings=lambda: self._settings,
            ids=self._ids,
            offered=lambda: self._view.offered,
            activity=self._activity,
        )
        return flows.identify, flows.order, flows.service, flows.choice

    def apply_settings(self, settings: JourneySettings) -> None:
        """New documents, prices, languages or time-outs; only between residents."""
        if not self.between_residents:
            raise ValueError("settings change only between residents")
        self._settings = settings
        self._refresh()

    def remote_service(self, *, out: bool, alert: StaffAlert) -> None:
        """The operator puts the kiosk out of service (`alert`) or back in service."""
        self._service.remote_service(out=out, alert=alert)

    def on_report(self, listener: Callable[[JourneyReport], None]) -> None:
        self._reports.listen(listener)

    # -- resident actions -------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch: leaves the attract screen, or postpones the inactivity time-out."""
        if self.state is S.ATTRACT:
            self._begin()
            return
        self._activity()

    def extend_time(self) -> None:
        self._activity()

    def request_help(self, reason: str) -> None:
        """Help pressed, `reason` chosen (`kiosk.flows.help.HelpReason`): staff are called."""
        if self._help.request(
            session_id=self._s.operation_id, screen=self.state.value, reason=reason
        ):
            self._activity()

    def _undeliverable(self, alert: StaffAlert) -> None:
        """Nothing deliverable: staff called; told before the card or PIN, else documents greyed."""
        if not self._staff.has_alert(alert.reason):  # the central's loss may be known already
            self.raise_alert(alert)
        if self.state in (S.INSERT_CARD, S.PIN, S.CHOOSE_DOCUMENTS):  # no device call in flight
            self._error(KEY_NOTHING_DELIVERABLE, outcome="not_deliverable")

    def choose_language(self, code: str) -> None:
        if code not in self._settings.languages:
            return
        self._s.choose_language(code, document_languages=self._settings.catalogue.languages)
        self._activity()
        if self.state is S.LANGUAGE:
            self._delivery.check(self._s)  # can anything be delivered? before the card is asked
            if self._card_present:
                self._identify.start_reading()
            else:
                self._go(S.INSERT_CARD, reason="language_chosen")

    def back(self) -> None:
        if self.state is S.INSERT_CARD:
            self._go(S.LANGUAGE, reason="back")
        elif not self._citizen.back(self.state):
            self._choice.back()  # the summary, the purpose step

    def card_event(self, kind: CardEventKind) -> None:
        if kind is CardEventKind.INSERTED:
            self.card_inserted()
        elif kind is CardEventKind.REMOVED:
            self.card_removed()
        elif kind is CardEventKind.READER_UNAVAILABLE:
            self._reader_unavailable()
        elif kind is CardEventKind.READER_RESTORED:
            self._service.reader_restored()
        else:
            self._reader_lost()

    def follow_devices(self) -> None:
        """Card events and the central's reachability reach this controller on its own thread."""
        self._ports.card.watch(lambda kind: self._post(lambda: self.card_event(kind)))
        if self._ports.central is not None:
            self._ports.central.watch(lambda ok: self._post(lambda: self.central_reachability(ok)))

    def central_reachability(self, reachable: bool) -> None:
        """The central server stopped answering, or answers again (`Ports.central`)."""
        self._service.central_reachability(reachable)

    def _reader_unavailable(self) -> None:
        """The PC/SC service is gone: end what can be ended, then out of service until it is back."""
        if self.state not in (S.ATTRACT, S.OUT_OF_SERVICE):
            self._reader_lost()
        self._service.reader_unavailable()

    def card_inserted(self) -> None:
        self._card_present = True
        if self.state is S.ATTRACT:
            self._begin()
        elif self.state is S.INSERT_CARD:
            self._identify.start_reading()
        else:
            self._refresh()

    def card_removed(self) -> None:
        self._card_present = False
        state = self.state
        if state in COMMITTED_STATES or state in AFTER_ORDER_STATES:
            log.info("card_removed_order_continues", extra={"state": state.value})
            self._refresh()
        elif state is S.REMOVE_CARD:
            self._idle(reason="card_removed")
        elif state in (S.ATTRACT, S.LANGUAGE, S.INSERT_CARD, S.OUT_OF_SERVICE):
            self._refresh()
        else:
            if state is S.PAYMENT:
                self._order.abandon_payment()  # the terminal aborts; settled in the background
            outcome = "abandoned" if self._s.outcome == "cancelled" else self._s.outcome
            self._close(outcome=outcome, reason="card_removed")

    def pin_digit(self, digit: str) -> None:
        if self.state is S.PIN and self._pin.add(digit, max_length=self._settings.pin_max_length):
            self._activity()

    def pin_erase(self) -> None:
        if self.state is S.PIN:
            self._pin.erase()
        self._activity()

    def pin_submit(self) -> None:
        if self.state is not S.PIN:
            return
        pin = self._pin.take(min_length=self._settings.pin_min_length)  # the adapter wipes it
        if pin is None:
            return
        self._s.notice_key = None
        self._go(S.VERIFYING, reason="pin_submitted")
        self._identify.verify(pin)

    def toggle_document(self, document_type: str) -> None:
        self._choice.toggle_document(document_type)

    def set_document_language(self, code: str) -> None:
        self._choice.set_document_language(code)

    def confirm_documents(self) -> None:
        self._choice.confirm_documents()

    def choose_purpose(self, code: str) -> None:
        self._choice.choose_purpose(code)

    def give_purpose_text(self, text: str) -> None:
        """The purpose typed on the keyboard (`kiosk.flows.purpose_text`)."""
        self._choice.give_purpose_text(text)

    def offer_email(self) -> None:
        """The sealed PDFs by e-mail too (`kiosk.flows.email`): the keyboard opens."""
        self._citizen.email.offer()

    def give_email(self, text: str) -> None:
        self._citizen.email.give(text)

    def open_my_requests(self) -> None:
        """The resident's earlier documents (`kiosk.flows.my_requests`)."""
        self._citizen.requests.open()

    def confirm_summary(self) -> None:
        """Check the printer, then pay (or issue a free order at once)."""
        self._order.confirm_summary()

    def raise_alert(self, alert: StaffAlert) -> None:
        """Call staff: logged, recorded for the central server, and OUT_OF_SERVICE once idle."""
        self._service.raise_alert(alert)

    def staff_acknowledge(self) -> None:
        """Maintenance: staff settled the alerts. The seal token is checked again before service."""
        self._service.acknowledge()

    def shut_down(self) -> None:
        """The process is stopping (SIGTERM/SIGINT): wipe the session, keep nothing personal.

        A payment in flight is asked to abort (the start-up recovery settles its journal row).
        Results still in flight are dropped.
        """
        state = self.state
        if state is S.PAYMENT:
            self._order.abort_payment(reason="shutdown")
        self._pin.wipe()
        self._s.wipe_personal()
        self._s.drop_copies()
        self._steps.new_epoch()
        log.info("session_wiped_on_shutdown", extra={"state": state.value})

    def retry(self) -> None:
        target = self._s.retry_target
        if self.state is not S.ERROR or target is None:
            return
        self._s.retry_target = None
        self._s.error_key = None
        if target is S.READING and self._card_present:
            self._identify.start_reading()
        elif target is S.SUMMARY:
            self._go(S.SUMMARY, reason="retry")

    def cancel(self) -> None:
        state = self.state
        if state in CANCELLABLE_STATES or state in (PURPOSE, PINPAD):
            self._close(outcome="cancelled", reason="cancel")
        elif state is S.PAYMENT:
            self._order.abort_payment(reason="cancel")
        elif state is S.ERROR:
            self._close(outcome=self._s.outcome, reason="error_dismissed")

    def documents_taken(self) -> None:
        if self.state is S.TAKE_DOCUMENTS:
            self._close(outcome=self._s.outcome, reason="documents_taken")

    def tick(self) -> None:
        """Call about once a second: applies the inactivity time-out of the current state, and
        watches the free disk space while idle."""
        state = self.state
        if state in (S.ATTRACT, S.OUT_OF_SERVICE):
            self._storage.poll(self._service.storage_polled)
        if self.between_residents:
            for hook in list(self._idle_hooks):
                hook()
            if self.state is not state:
                return
        card_left = self._inactivity.card_left
        verdict = self._inactivity.check(
            state,
            limits=self._settings.timeouts_s,
            warn_within_s=self._settings.timeout_warning_s,
            factor=self.timeout_factor,
        )
        if verdict is Verdict.TIMED_OUT:
            outcome = "timed_out" if self._s.outcome == "cancelled" else self._s.outcome
            self._close(outcome=outcome, reason="timeout")
        elif verdict is Verdict.CHANGED:
            if self._inactivity.card_left and not card_left:  # after the reminder: staff told
                self._help.card_left(screen=state.value)
            self._refresh()

    # -- flow -------------------------------------------------------------------------------
    def _begin(self) -> None:
        if self._staff.out_of_service:
            log.info("start_refused_out_of_service")
            return
        if self._order.reconciling:
            log.info("start_refused_reconciling")
            return
        self._s = self._new_session()
        self._started = True
        self._go(S.LANGUAGE, reason="start")

    def _reader_lost(self) -> None:
        self._card_present = False
        state = self.state
        if state in COMMITTED_STATES or state in {*AFTER_ORDER_STATES, S.ERROR, S.OUT_OF_SERVICE}:
            self._refresh()
        elif state is S.PAYMENT:
            self.card_removed()
        else:
            self._error(DeviceUnavailable.translation_key, outcome="failed")

    # -- plumbing ---------------------------------------------------------------------------
    def _close(self, *, outcome: str, reason: str) -> None:
        """End the session: wipe everything personal, report, then remove card or attract."""
        s = self._s
        self._pin.wipe()
        s.wipe_personal()
        s.drop_copies()
        self._steps.new_epoch()  # results still in flight for this session are dropped
        if s.card_read:
            call(self._ports.card.end_session).add_done_callback(_log_end_session)
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
        self._reports.publish(journey_report(s, now=self._clock()))

    def _error(
        self,
        key: str,
        *,
        outcome: str,
        retry: SessionState | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        self._s.show_error(key, outcome=outcome, retry=retry, params=params)
        self._go(S.ERROR, reason=outcome)

    def _fail(self, err: BaseException) -> None:
        """Default failure path before any money moved (`kiosk.flows.failure`)."""
        key, retry = failure_shown(err, state=self.state, card_present=self._card_present)
        self._error(key, outcome="failed", retry=retry)

    @property
    def _epoch(self) -> int:
        """The current session's epoch (see `kiosk.flows.steps`)."""
        return self._steps.epoch

    def _go(self, target: SessionState, *, reason: str) -> None:
        self._inactivity.entering(target)
        self._machine.go(target, reason=reason)
        self._activity()

    def _activity(self) -> None:
        self._inactivity.touched()
        self._refresh()

    def _refresh(self) -> None:
        view = self._view_now()
        if view == self._view:
            return
        self._view = view
        for listener in list(self._change_listeners):
            listener(view)

    def _new_session(self) -> SessionData:
        return SessionData.begin(
            operation_id=self._ids(),
            started_at=self._clock(),
            language=self._settings.default_language,
            document_languages=self._settings.catalogue.languages,
        )

    def _view_now(self) -> JourneyView:
        return build_view(
            self._s,
            state=self._machine.state,
            settings=self._settings,
            card_present=self._card_present,
            pin_dots=len(self._pin),
            timeout_warning_s=self._inactivity.warning_s,
            reconciling=self._order.reconciling,
            remove_card_alert=self._inactivity.card_left,
            alert_keys=tuple(a.key for a in self._staff.alerts),
            help_called=self._help.called(self._s.operation_id),
            also_greyed=self._delivery.greyed(
                self._s.operation_id, self._settings.catalogue.prices_cents
            ),
            offers=self._citizen.offers(self._s),
        )


def _log_end_session(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("end_session_failed", extra={"error": type(done.exception()).__name__})

"""Staff alerts: raise one, acknowledge them, and say whether the kiosk is out of service.

A raised alert is logged and recorded for the central server (no personal data; an alert about a
payment carries its claim code). While any alert is pending the kiosk stays OUT_OF_SERVICE once
the resident's session is over. Staff acknowledge: the payment terminal is told which references
were settled by hand, then the seal token is checked again; a token that still fails raises a new
alert. A later maintenance mode plugs in here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from hardware.errors import BorneError
from kiosk.flows.steps import Steps, Timed, call
from kiosk.ports import Ports, StaffAlert
from kiosk.records import issuance_record

log = logging.getLogger(__name__)

ALERT_OUTCOME = "staff_alert"
KEY_GENERIC = "error.generic"
REASON_PAYMENT_UNKNOWN = "payment_unknown"
KEY_ALERT_PAYMENT_UNKNOWN = "out_of_service.reason.payment_unknown"


class StaffFlow:
    """The pending staff alerts of one kiosk; used on the controller's thread only."""

    def __init__(
        self,
        *,
        ports: Ports,
        steps: Steps,
        kiosk_id: str,
        ids: Callable[[], str],
    ) -> None:
        self._ports = ports
        self._steps = steps
        self._kiosk_id = kiosk_id
        self._ids = ids
        self._alerts: list[StaffAlert] = []
        self._acknowledging = False

    @property
    def alerts(self) -> tuple[StaffAlert, ...]:
        """Staff alerts not acknowledged yet."""
        return tuple(self._alerts)

    @property
    def out_of_service(self) -> bool:
        return bool(self._alerts)

    def has_alert(self, reason: str) -> bool:
        return any(a.reason == reason for a in self._alerts)

    def clear(self, reason: str) -> bool:
        """Drop the alerts of `reason` that settled by themselves; True when none is left."""
        before = len(self._alerts)
        self._alerts = [a for a in self._alerts if a.reason != reason]
        if len(self._alerts) != before:
            log.info("staff_alert_cleared", extra={"reason": reason})
        return not self._alerts

    def raise_alert(self, alert: StaffAlert) -> None:
        """Log and record `alert`; the caller moves the kiosk out of service."""
        self._alerts.append(alert)
        log.error(
            "staff_alert",
            extra={"reason": alert.reason, "key": alert.key, "reference": alert.reference},
        )
        extra = {"reason": alert.reason, "key": alert.key}
        if alert.reference is not None:
            extra["reference"] = alert.reference
            extra["claim_code"] = self._ports.payment.claim_code(reference=alert.reference)
        record = issuance_record(
            operation_id=f"alert-{self._ids()}",
            kiosk_id=self._kiosk_id,
            outcome=ALERT_OUTCOME,
            extra=extra,
        )
        call(lambda: self._ports.outbox.record(record)).add_done_callback(_log_outbox_failure)

    def acknowledge(
        self,
        *,
        session: Timed,
        back_in_service: Callable[[], None],
        still_failing: Callable[[StaffAlert], None],
    ) -> None:
        """Staff settled the alerts: payments are looked up again (an outcome still unknown keeps
        the kiosk out of service), then the seal token is checked again before service."""
        if self._acknowledging:
            return
        self._acknowledging = True
        references = tuple(a.reference for a in self._alerts if a.reference is not None)
        unknown = tuple(
            a.reference
            for a in self._alerts
            if a.reason == REASON_PAYMENT_UNKNOWN and a.reference is not None
        )
        log.info("staff_acknowledge", extra={"alerts": len(self._alerts)})

        def check_signer(_none: None = None) -> None:
            self._check_signer(
                session=session, back_in_service=back_in_service, still_failing=still_failing
            )

        def still_unknown(err: BaseException) -> None:
            self._settled()
            log.error("staff_acknowledge_payment_unknown", extra={"error": type(err).__name__})
            for reference in unknown or references:
                still_failing(
                    StaffAlert(
                        reason=REASON_PAYMENT_UNKNOWN,
                        key=KEY_ALERT_PAYMENT_UNKNOWN,
                        reference=reference,
                    )
                )

        if not references:
            check_signer()
            return
        self._steps.await_(
            lambda: self._ports.payment.acknowledge(references=references),
            session=session,
            step="payment_acknowledge",
            then=check_signer,
            failed=still_unknown,
        )

    def _settled(self) -> None:
        self._acknowledging = False
        self._alerts.clear()

    def _check_signer(
        self,
        *,
        session: Timed,
        back_in_service: Callable[[], None],
        still_failing: Callable[[StaffAlert], None],
    ) -> None:
        def checked(_none: None) -> None:
            self._settled()
            back_in_service()

        def failed(err: BaseException) -> None:
            self._settled()
            key = err.translation_key if isinstance(err, BorneError) else KEY_GENERIC
            still_failing(StaffAlert(reason="signer_unavailable", key=key))

        self._steps.await_(
            self._ports.issuer.check,
            session=session,
            step="signer_check",
            then=checked,
            failed=failed,
        )


def _log_outbox_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("outbox_record_failed", extra={"error": type(done.exception()).__name__})

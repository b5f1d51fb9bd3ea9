"""In or out of service: staff alerts raised and acknowledged, and the alerts that settle by
themselves (the card reader's service back, the central server answering again, free disk space
back).

A raised alert moves an idle kiosk OUT_OF_SERVICE at once; during a session it waits until the
session is over (the controller then idles to OUT_OF_SERVICE). Staff acknowledge through
`StaffFlow`, which checks the seal token again before the kiosk is back in service.
"""

from __future__ import annotations

import logging

from kiosk.flows.host import Host, HostedFlow
from kiosk.flows.staff import StaffFlow
from kiosk.flows.steps import Post, Steps
from kiosk.flows.storage import KEY_ALERT_STORAGE_FULL, REASON_STORAGE_FULL
from kiosk.ports import DeviceCheck, Ports, StaffAlert
from kiosk.session import SessionState

S = SessionState
log = logging.getLogger(__name__)

KEY_READER_UNAVAILABLE = "eid.error.no_reader"
REASON_READER_UNAVAILABLE = "card_reader_unavailable"
KEY_CENTRAL_UNREACHABLE = "out_of_service.reason.central_unreachable"
REASON_CENTRAL_UNREACHABLE = "central_unreachable"


class ServiceFlow(HostedFlow):
    """Whether the kiosk serves residents; used on the controller's thread only."""

    def __init__(
        self, *, ports: Ports, steps: Steps, post: Post, host: Host, staff: StaffFlow
    ) -> None:
        super().__init__(ports=ports, steps=steps, post=post, host=host)
        self._staff = staff

    def raise_alert(self, alert: StaffAlert) -> None:
        """Call staff: logged, recorded for the central server, and OUT_OF_SERVICE once idle."""
        self._staff.raise_alert(alert)
        if self.state is S.ATTRACT:
            self._go(S.OUT_OF_SERVICE, reason=alert.reason)
        else:
            self._refresh()

    def remote_service(self, *, out: bool, alert: StaffAlert) -> None:
        """The operator puts the kiosk out of service (`alert`) or back in service."""
        if out:
            if not self._staff.has_alert(alert.reason):
                self.raise_alert(alert)
        elif self._staff.clear(alert.reason) and self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="remote_back_in_service")

    def acknowledge(self) -> None:
        """Maintenance: staff settled the alerts. The seal token is checked again before service."""
        if self.state is not S.OUT_OF_SERVICE:
            return
        self._staff.acknowledge(
            session=self._s,
            back_in_service=self._back_in_service,
            still_failing=self._host.raise_alert,
        )

    def _back_in_service(self) -> None:
        if self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="staff_acknowledged")

    def reader_unavailable(self) -> None:
        """The PC/SC service is gone: out of service until it is back."""
        if not self._staff.has_alert(REASON_READER_UNAVAILABLE):
            self._host.raise_alert(
                StaffAlert(reason=REASON_READER_UNAVAILABLE, key=KEY_READER_UNAVAILABLE)
            )

    def reader_restored(self) -> None:
        """The reader answers again: its own alert settles by itself; others still need staff."""
        if self._staff.clear(REASON_READER_UNAVAILABLE) and self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="reader_restored")
        else:
            self._refresh()

    def central_reachability(self, reachable: bool) -> None:
        """The central stopped answering (no register extract, nothing deliverable: out of service
        once idle) or answers again (its own alert settles by itself; others still need staff)."""
        if not reachable:
            if not self._staff.has_alert(REASON_CENTRAL_UNREACHABLE):
                self._host.raise_alert(
                    StaffAlert(reason=REASON_CENTRAL_UNREACHABLE, key=KEY_CENTRAL_UNREACHABLE)
                )
        elif self._staff.clear(REASON_CENTRAL_UNREACHABLE) and self.state is S.OUT_OF_SERVICE:
            self._go(S.ATTRACT, reason="central_reachable")
        else:
            self._refresh()

    def storage_polled(self, check: DeviceCheck) -> None:
        """The free disk space, checked while idle or before an order."""
        if not check.ready:
            if not self._staff.has_alert(REASON_STORAGE_FULL):
                self._host.raise_alert(
                    StaffAlert(reason=REASON_STORAGE_FULL, key=KEY_ALERT_STORAGE_FULL)
                )
        elif self._staff.has_alert(REASON_STORAGE_FULL):
            log.info("storage_restored")
            if self._staff.clear(REASON_STORAGE_FULL) and self.state is S.OUT_OF_SERVICE:
                self._go(S.ATTRACT, reason="storage_restored")
            else:
                self._refresh()

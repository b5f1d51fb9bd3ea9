"""Before the card is asked for: can the kiosk deliver anything at all?

When the resident has chosen a language, the printer (paper, jam, door), the seal and the payment
terminal are checked together (`Ports.delivery`). Nothing deliverable (no printer or no seal):
staff are called and the resident is told before any card or PIN is asked for; once the session
is over the kiosk is out of service. A terminal that does not answer leaves only the free documents:
the paid ones are greyed with their reason, never paid then refunded. The printer is checked again
before payment (`JourneyController.confirm_summary`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, Protocol

from kiosk.flows.steps import Steps, Timed
from kiosk.ports import Deliverable, Ports, StaffAlert

log = logging.getLogger(__name__)

KEY_NOTHING_DELIVERABLE: Final = "error.nothing_deliverable"
KEY_PAYMENT_UNAVAILABLE: Final = "documents.unavailable.payment"
REASON_NOTHING_DELIVERABLE: Final = "nothing_deliverable"


class Session(Timed, Protocol):
    @property
    def operation_id(self) -> str: ...


class DeliveryFlow:
    """Used on the controller's thread only."""

    def __init__(
        self, *, ports: Ports, steps: Steps, undeliverable: Callable[[StaffAlert], None]
    ) -> None:
        self._ports = ports
        self._steps = steps
        self._undeliverable = undeliverable
        self._no_payment_in: str | None = None
        self._nothing_in: str | None = None

    def check(self, session: Session) -> None:
        """Start the check for `session`; its outcome comes back on the controller's thread."""
        port = self._ports.delivery
        if port is None:
            return
        session_id = session.operation_id
        self._steps.await_(
            port.check,
            session=session,
            step="delivery_check",
            then=lambda found: self._checked(session_id, found),
            failed=lambda err: self._checked(
                session_id,
                Deliverable(documents=False, payment=False, reason=type(err).__name__.lower()),
            ),
        )

    def _checked(self, session_id: str, found: Deliverable) -> None:
        log.info(
            "delivery_checked",
            extra={"documents": found.documents, "payment": found.payment, "reason": found.reason},
        )
        if not found.documents:
            self._nothing_in = session_id
            self._undeliverable(
                StaffAlert(
                    reason=found.reason or REASON_NOTHING_DELIVERABLE,
                    key=found.key or KEY_NOTHING_DELIVERABLE,
                )
            )
        elif not found.payment:
            self._no_payment_in = session_id

    def greyed(self, session_id: str, prices_cents: Mapping[str, int]) -> Mapping[str, str]:
        """{document type: reason key} of what cannot be sold in this session: everything when
        nothing can be delivered, the paid documents while the terminal does not answer."""
        if self._nothing_in == session_id:
            return MappingProxyType({t: KEY_NOTHING_DELIVERABLE for t in prices_cents})
        if self._no_payment_in != session_id:
            return MappingProxyType({})
        return MappingProxyType(
            {t: KEY_PAYMENT_UNAVAILABLE for t, price in prices_cents.items() if price > 0}
        )

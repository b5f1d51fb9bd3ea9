"""Fleet alerts: their kinds and states, and what a heartbeat says about each (pure functions).

One alert per (kiosk, kind) is active at a time (open or acknowledged); it is resolved when its
cause goes away (the kiosk is back, the paper refilled) or, for the kinds nothing can clear by
itself (a payment to review, a refused configuration), by an operator or by the next good report.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from offline_queue.wire import DeviceHealth, Heartbeat, ResidentCallKind


class AlertKind(enum.StrEnum):
    OFFLINE = "offline"
    PAPER_LOW = "paper_low"
    PRINTER_FAULT = "printer_fault"
    TERMINAL_FAULT = "terminal_fault"
    MANUAL_REVIEW_PAYMENT = "manual_review_payment"
    SEAL_CERTIFICATE_EXPIRING = "seal_certificate_expiring"
    OUTBOX_BACKLOG = "outbox_backlog"
    CLOCK_SKEW = "clock_skew"
    CONFIG_REFUSED = "config_refused"
    HELP_REQUESTED = "help_requested"
    CARD_LEFT_BEHIND = "card_left_behind"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"

    @property
    def title_key(self) -> str:
        """Translation key of the alert's short title (central/fleet/i18n)."""
        return f"fleet.alert.{self.value}.title"

    @property
    def action_key(self) -> str:
        """Translation key of what the operator should do about it."""
        return f"fleet.alert.{self.value}.action"


HEARTBEAT_KINDS: Final = frozenset(
    {
        AlertKind.PAPER_LOW,
        AlertKind.PRINTER_FAULT,
        AlertKind.TERMINAL_FAULT,
        AlertKind.SEAL_CERTIFICATE_EXPIRING,
        AlertKind.OUTBOX_BACKLOG,
        AlertKind.CLOCK_SKEW,
    }
)
"""The kinds each heartbeat re-evaluates: opened when the condition holds, resolved when not."""

RESIDENT_CALL_KINDS: Final[Mapping[ResidentCallKind, AlertKind]] = {
    ResidentCallKind.HELP_REQUESTED: AlertKind.HELP_REQUESTED,
    ResidentCallKind.CARD_LEFT_BEHIND: AlertKind.CARD_LEFT_BEHIND,
}
"""The alert each resident call of a heartbeat opens (the kiosk stays in service meanwhile)."""

OPERATOR_RESOLVED_KINDS: Final = frozenset(
    {
        AlertKind.MANUAL_REVIEW_PAYMENT,
        AlertKind.CONFIG_REFUSED,
        AlertKind.HELP_REQUESTED,
        AlertKind.CARD_LEFT_BEHIND,
        AlertKind.AUDIT_CHAIN_BROKEN,
    }
)
"""The kinds an operator may resolve by hand (no heartbeat can tell they are over)."""


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ALERT_TRANSITIONS: Final[Mapping[AlertState, frozenset[AlertState]]] = {
    AlertState.OPEN: frozenset({AlertState.ACKNOWLEDGED, AlertState.RESOLVED}),
    AlertState.ACKNOWLEDGED: frozenset({AlertState.RESOLVED}),
    AlertState.RESOLVED: frozenset(),
}


def can_move(source: AlertState, target: AlertState) -> bool:
    return target in ALERT_TRANSITIONS[source]


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    paper_days: float = 1.0
    certificate_days: int = 30
    outbox_age_s: int = 3600
    clock_skew_s: int = 120


PRINTER_DEVICES: Final = ("printer", "paper")
TERMINAL_DEVICES: Final = ("payment_terminal", "terminal")
SIGNER_DEVICES: Final = ("seal_token", "signer")
FAULT_STATES: Final = frozenset(
    {"fault", "error", "absent", "offline", "unavailable", "jammed", "door_open", "paper_out"}
)
"""Device states that mean the device cannot serve a resident."""

FORECAST_WINDOW_S: Final = 24 * 3600.0
"""The page counter's history the paper forecast looks back on."""


def paper_days_left(
    *, pages_left: int | None, now: float, pages_now: int | None, earlier: tuple[float, int] | None
) -> float | None:
    """Days until the paper runs out at the recent rate: `pages_left` / pages printed per day.

    `earlier` is (time, pages_printed_total) of an older heartbeat of the forecast window. None
    when there is nothing to forecast from (no counter, no pages printed since).
    """
    if pages_left is None:
        return None
    if pages_left == 0:
        return 0.0
    if pages_now is None or earlier is None:
        return None
    then, pages_then = earlier
    elapsed = now - then
    printed = pages_now - pages_then
    if elapsed <= 0 or printed <= 0:
        return None
    per_day = printed / elapsed * 86400.0
    return pages_left / per_day


def _first(health: Mapping[str, DeviceHealth], names: tuple[str, ...]) -> DeviceHealth | None:
    for name in names:
        if name in health:
            return health[name]
    return None


def device_state(hb: Heartbeat, names: tuple[str, ...]) -> str | None:
    health = _first(hb.health, names)
    if health is not None:
        return health.state
    for name in names:
        if name in hb.devices:
            return hb.devices[name]
    return None


def printer_health(hb: Heartbeat) -> DeviceHealth | None:
    return _first(hb.health, PRINTER_DEVICES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    kind: AlertKind
    detail: str


def heartbeat_findings(
    hb: Heartbeat,
    *,
    received_at: datetime,
    days_until_empty: float | None,
    thresholds: Thresholds,
) -> dict[AlertKind, Finding]:
    """The conditions of `HEARTBEAT_KINDS` that hold for this heartbeat (absent: the kind is fine).

    Details are short machine words and figures, never personal data.
    """
    found: dict[AlertKind, Finding] = {}

    def add(kind: AlertKind, detail: str) -> None:
        found[kind] = Finding(kind=kind, detail=detail)

    if days_until_empty is not None and days_until_empty < thresholds.paper_days:
        add(AlertKind.PAPER_LOW, f"days_until_empty={days_until_empty:.2f}")
    printer = device_state(hb, PRINTER_DEVICES)
    if printer in FAULT_STATES:
        add(AlertKind.PRINTER_FAULT, f"state={printer}")
    terminal = device_state(hb, TERMINAL_DEVICES)
    if terminal in FAULT_STATES:
        add(AlertKind.TERMINAL_FAULT, f"state={terminal}")
    expiry = _certificate_expiry(hb)
    if expiry is not None and expiry - received_at < timedelta(days=thresholds.certificate_days):
        add(AlertKind.SEAL_CERTIFICATE_EXPIRING, f"not_after={expiry.date().isoformat()}")
    age = hb.outbox_oldest_age_s
    if age is not None and age > thresholds.outbox_age_s and hb.outbox_backlog > 0:
        add(AlertKind.OUTBOX_BACKLOG, f"oldest_age_s={age} backlog={hb.outbox_backlog}")
    skew = (hb.sent_at - received_at).total_seconds()
    if abs(skew) > thresholds.clock_skew_s:
        add(AlertKind.CLOCK_SKEW, f"skew_s={skew:.0f}")
    return found


def _certificate_expiry(hb: Heartbeat) -> datetime | None:
    signer = _first(hb.health, SIGNER_DEVICES)
    if signer is not None and signer.certificate_not_after is not None:
        return signer.certificate_not_after
    dates = [h.certificate_not_after for h in hb.health.values() if h.certificate_not_after]
    return min(dates) if dates else None


def resident_call_findings(hb: Heartbeat) -> dict[AlertKind, Finding]:
    """The alerts the heartbeat's resident calls open: the latest call of each kind, with the
    screen the resident was on and the reason they chose (machine words, no personal data)."""
    found: dict[AlertKind, Finding] = {}
    for call in sorted(hb.resident_calls, key=lambda c: c.raised_at):
        kind = RESIDENT_CALL_KINDS[call.kind]
        detail = f"screen={call.screen} reason={call.reason} at={call.raised_at.isoformat()}"
        found[kind] = Finding(kind=kind, detail=detail)
    return found

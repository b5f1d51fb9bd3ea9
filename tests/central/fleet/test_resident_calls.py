"""Calls to staff from a kiosk in service (Help pressed, a card left behind), on a REAL database:
each opens its alert with the screen and the reason, the next heartbeats without the call do not
resolve it, an operator does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from central.fleet import FleetService
from central.fleet.alerts import (
    HEARTBEAT_KINDS,
    OPERATOR_RESOLVED_KINDS,
    AlertKind,
    resident_call_findings,
)
from offline_queue.wire import ResidentCall, ResidentCallKind
from tests.central.fleet.conftest import heartbeat
from tests.sync.conftest import FakeClock

pytestmark = pytest.mark.central


def _call(kind: ResidentCallKind, *, screen: str, reason: str, at: float) -> ResidentCall:
    return ResidentCall(
        kind=kind, screen=screen, reason=reason, raised_at=datetime.fromtimestamp(at, tz=UTC)
    )


def test_the_latest_call_of_each_kind_names_its_screen_and_reason() -> None:
    hb = heartbeat(
        "kiosk-1",
        at=1_000.0,
        resident_calls=(
            _call(ResidentCallKind.HELP_REQUESTED, screen="language", reason="need_help", at=900),
            _call(ResidentCallKind.HELP_REQUESTED, screen="pin", reason="card_stuck", at=950),
            _call(
                ResidentCallKind.CARD_LEFT_BEHIND,
                screen="remove_card",
                reason="reminder_ignored",
                at=960,
            ),
        ),
    )
    found = resident_call_findings(hb)
    assert set(found) == {AlertKind.HELP_REQUESTED, AlertKind.CARD_LEFT_BEHIND}
    assert found[AlertKind.HELP_REQUESTED].detail.startswith("screen=pin reason=card_stuck ")
    assert "screen=remove_card" in found[AlertKind.CARD_LEFT_BEHIND].detail
    assert resident_call_findings(heartbeat("kiosk-1", at=1_000.0)) == {}
    # no heartbeat resolves them: they are over when staff say so
    assert {AlertKind.HELP_REQUESTED, AlertKind.CARD_LEFT_BEHIND} <= OPERATOR_RESOLVED_KINDS
    assert not {AlertKind.HELP_REQUESTED, AlertKind.CARD_LEFT_BEHIND} & HEARTBEAT_KINDS


def test_a_call_carries_machine_words_only() -> None:
    with pytest.raises(ValidationError):
        _call(ResidentCallKind.HELP_REQUESTED, screen="pin", reason="Marie Dupont", at=1.0)
    with pytest.raises(ValidationError):
        ResidentCall.model_validate(
            {"kind": "fire", "screen": "pin", "reason": "x", "raised_at": "2026-12-01T10:00:00Z"}
        )


def test_help_opens_one_alert_that_stays_until_an_operator_resolves_it(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    help_call = _call(
        ResidentCallKind.HELP_REQUESTED, screen="pin", reason="card_stuck", at=clock.now
    )
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, resident_calls=(help_call,)))
    clock.advance(5)
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, resident_calls=(help_call,)))
    clock.advance(60)
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))  # the call delivered: no longer carried
    [alert] = fleet.list_alerts(kiosk_id=kiosk_id, active=True).alerts
    assert (alert.kind, alert.state) == ("help_requested", "open")
    assert alert.detail.startswith("screen=pin reason=card_stuck")
    assert alert.title_key == "fleet.alert.help_requested.title"
    assert fleet.overview().kiosks[0].online
    assert fleet.resolve_alert(alert.alert_id, actor="op").state == "resolved"
    assert fleet.list_alerts(kiosk_id=kiosk_id, active=True).alerts == ()

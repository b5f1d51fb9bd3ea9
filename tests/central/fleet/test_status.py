"""The fleet service on a REAL database (SQLite and PostgreSQL) with a test clock: offline after
90 s of silence, one alert per kiosk and kind, heartbeat alerts, bounded history, commands."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central.fleet import FleetService
from central.fleet.alertbook import AlertTransitionRefused
from central.fleet.alerts import AlertKind, AlertState
from central.fleet.commands import CommandConflict, CommandForbidden, CommandNotFound
from offline_queue.wire import (
    CommandKind,
    CommandOutcome,
    CommandResult,
    DeviceHealth,
    PaymentStatus,
)
from tests.central.databases import database_url
from tests.central.fleet.conftest import heartbeat, make_fleet, record
from tests.sync.conftest import FakeClock

pytestmark = pytest.mark.central


def _kinds(fleet: FleetService, kiosk_id: str, *, active: bool = True) -> list[str]:
    return [a.kind for a in fleet.list_alerts(kiosk_id=kiosk_id, active=active).alerts]


def _events(fleet: FleetService, kiosk_id: str) -> list[str]:
    return [e.kind for e in reversed(fleet.timeline(kiosk_id).events)]


def test_a_kiosk_silent_for_90_s_goes_offline_once_and_comes_back_with_its_next_heartbeat(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
    clock.advance(89.9)
    assert fleet.sweep() == 0
    assert fleet.overview().kiosks[0].online
    clock.advance(0.2)
    assert fleet.sweep() == 1
    clock.advance(30)
    assert fleet.sweep() == 0
    [alert] = fleet.list_alerts(kiosk_id=kiosk_id).alerts
    assert (alert.kind, alert.state, alert.detail) == ("offline", "open", "silent_s=90.1")
    assert alert.action_key == "fleet.alert.offline.action"
    assert not fleet.overview().kiosks[0].online
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
    assert fleet.list_alerts(kiosk_id=kiosk_id).alerts[0].state == "resolved"
    assert fleet.overview().kiosks[0].online
    assert _events(fleet, kiosk_id) == [
        "first_seen",
        "offline",
        "alert_opened",
        "online",
        "alert_resolved",
    ]
    clock.advance(91)
    assert fleet.sweep() == 1
    assert [a.state for a in fleet.list_alerts(kiosk_id=kiosk_id).alerts] == ["resolved", "open"]


def test_two_servers_sweeping_one_postgresql_raise_each_offline_alert_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = database_url("postgresql", tmp_path)
    (first, store_a), (second, store_b) = make_fleet(url, clock), make_fleet(url, clock)
    try:
        kiosks = [f"kiosk-{n:03d}" for n in range(40)]
        for index, kiosk in enumerate(kiosks):
            (first if index % 2 else second).heartbeat(heartbeat(kiosk, at=clock.now))
        clock.advance(120)
        start = threading.Barrier(2)
        raised: list[int] = []

        def sweeper(service: FleetService) -> None:
            start.wait()
            raised.extend(service.sweep() for _ in range(5))

        threads = [threading.Thread(target=sweeper, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(raised) == len(kiosks)
        alerts = first.list_alerts(kind=AlertKind.OFFLINE, limit=500).alerts
        assert sorted(a.kiosk_id for a in alerts) == kiosks
    finally:
        for service, store in ((first, store_a), (second, store_b)):
            service.stop()
            store.close()


def test_heartbeat_conditions_open_their_alert_and_the_next_good_heartbeat_resolves_it(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    fleet.heartbeat(
        heartbeat(kiosk_id, at=clock.now, health={"printer": DeviceHealth(state="jammed")})
    )
    fleet.heartbeat(
        heartbeat(kiosk_id, at=clock.now, health={"printer": DeviceHealth(state="jammed")})
    )
    assert _kinds(fleet, kiosk_id) == ["printer_fault"]
    assert fleet.list_alerts(kiosk_id=kiosk_id).alerts[0].detail == "state=jammed"
    fleet.heartbeat(heartbeat("kiosk-fine", at=clock.now))
    assert [k.kiosk_id for k in fleet.overview(alerting=True).kiosks] == [kiosk_id]
    assert [k.active_alerts for k in fleet.overview(alerting=False).kiosks] == [0]
    skewed = heartbeat(kiosk_id, at=clock.now - 180)
    fleet.heartbeat(skewed)
    assert _kinds(fleet, kiosk_id) == ["clock_skew"]
    assert _kinds(fleet, kiosk_id, active=False) == ["printer_fault", "clock_skew"]
    expiring = DeviceHealth(
        state="ok",
        certificate_not_after=datetime.fromtimestamp(clock.now, tz=UTC) + timedelta(days=29),
    )
    fleet.heartbeat(
        heartbeat(
            kiosk_id,
            at=clock.now,
            health={"seal_token": expiring, "payment_terminal": DeviceHealth(state="fault")},
            outbox_backlog=4,
            outbox_oldest_age_s=4000,
        )
    )
    assert sorted(_kinds(fleet, kiosk_id)) == [
        "outbox_backlog",
        "seal_certificate_expiring",
        "terminal_fault",
    ]
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
    assert _kinds(fleet, kiosk_id) == []


def test_the_paper_forecast_from_the_page_counter_raises_paper_low_under_one_day(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    def printer(total: int, left: int) -> dict[str, DeviceHealth]:
        return {"printer": DeviceHealth(state="ok", pages_printed_total=total, pages_left=left)}

    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, health=printer(1000, 400)))
    clock.advance(6 * 3600)
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, health=printer(1100, 300)))
    # 100 pages in 6 h: 400 a day, 300 left: 0.75 day.
    assert fleet.overview().kiosks[0].days_until_empty == pytest.approx(0.75)
    [alert] = fleet.list_alerts(kiosk_id=kiosk_id).alerts
    assert (alert.kind, alert.detail) == ("paper_low", "days_until_empty=0.75")
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, health=printer(1100, 2000)))
    assert _kinds(fleet, kiosk_id) == []


def test_an_acknowledged_alert_stays_the_one_alert_until_resolved(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    jammed = {"printer": DeviceHealth(state="jammed")}
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, health=jammed))
    [alert] = fleet.list_alerts(kiosk_id=kiosk_id).alerts
    acked = fleet.acknowledge_alert(alert.alert_id, actor="operator-anne")
    assert (acked.state, acked.acknowledged_by) == ("acknowledged", "operator-anne")
    with pytest.raises(AlertTransitionRefused):
        fleet.acknowledge_alert(alert.alert_id, actor="operator-anne")
    with pytest.raises(AlertTransitionRefused):  # a printer fault resolves when the printer does
        fleet.resolve_alert(alert.alert_id, actor="operator-anne")
    fleet.heartbeat(heartbeat(kiosk_id, at=clock.now, health=jammed))
    assert len(fleet.list_alerts(kiosk_id=kiosk_id).alerts) == 1
    [entry] = fleet.audit().entries
    assert (entry.actor, entry.action, entry.target) == (
        "operator-anne",
        "alert.acknowledged",
        f"alert:{alert.alert_id}",
    )
    assert entry.detail == f"{kiosk_id} printer_fault"


def test_a_payment_to_review_opens_one_alert_that_an_operator_resolves(
    fleet: FleetService, kiosk_id: str
) -> None:
    unknown = [record(kiosk_id, payment_status=PaymentStatus.UNKNOWN) for _ in range(2)]
    fleet.records_received((*unknown, record(kiosk_id)), {r.operation_id for r in unknown})
    [alert] = fleet.list_alerts(kiosk_id=kiosk_id).alerts
    assert alert.kind == "manual_review_payment"
    assert alert.detail == f"operation_id={unknown[0].operation_id}"
    assert _events(fleet, kiosk_id).count("payment_to_review") == 2
    assert fleet.resolve_alert(alert.alert_id, actor="op").state == "resolved"


def test_the_heartbeat_history_is_bounded(db_url: str, clock: FakeClock, kiosk_id: str) -> None:
    fleet, store = make_fleet(db_url, clock, heartbeat_history=10)
    try:
        for _ in range(70):
            clock.advance(30)
            fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
        kept = fleet.heartbeat_history(kiosk_id, limit=500).heartbeats
        assert 10 <= len(kept) < 10 + 32  # pruned back to 10 every 32 heartbeats
        assert kept[0].received_at == datetime.fromtimestamp(clock.now, tz=UTC)
    finally:
        store.close()


def _result(command_id: str, kiosk_id: str, clock: FakeClock, detail: str = "") -> CommandResult:
    return CommandResult(
        command_id=command_id,
        kiosk_id=kiosk_id,
        outcome=CommandOutcome.DONE,
        finished_at=datetime.fromtimestamp(clock.now, tz=UTC),
        detail=detail,
    )


def test_a_command_for_an_offline_kiosk_is_delivered_until_its_result_comes_back_once(
    fleet: FleetService, clock: FakeClock, kiosk_id: str
) -> None:
    queued = fleet.queue_command(kiosk_id, CommandKind.PRINT_TEST_PAGE, actor="op")
    command_id = queued.command.command_id
    assert queued.command.state == "queued"
    clock.advance(600)
    first = fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
    again = fleet.heartbeat(heartbeat(kiosk_id, at=clock.now))
    assert [c.command_id for c in first.commands] == [command_id]
    assert [c.kind for c in again.commands] == [CommandKind.PRINT_TEST_PAGE]
    result = _result(command_id, kiosk_id, clock, "printed")
    assert fleet.command_result(result, caller_kiosk=kiosk_id) is True
    assert fleet.command_result(result, caller_kiosk=kiosk_id) is False
    with pytest.raises(CommandConflict):
        fleet.command_result(_result(command_id, kiosk_id, clock, "other"), caller_kiosk=None)
    with pytest.raises(CommandForbidden):
        fleet.command_result(_result(command_id, "kiosk-other", clock), caller_kiosk="kiosk-other")
    with pytest.raises(CommandNotFound):
        fleet.command_result(_result("cmd-none", kiosk_id, clock), caller_kiosk=kiosk_id)
    assert fleet.heartbeat(heartbeat(kiosk_id, at=clock.now)).commands == ()
    view = fleet.commands.get(command_id)
    assert view is not None
    assert (view.state, view.result) == ("done", result)
    assert _events(fleet, kiosk_id)[-3:] == ["first_seen", "command_delivered", "command_result"]


def test_a_command_not_executed_in_time_expires(
    db_url: str, clock: FakeClock, kiosk_id: str
) -> None:
    fleet, store = make_fleet(db_url, clock, command_ttl_s=3600.0)
    try:
        command_id = fleet.queue_command(
            kiosk_id, CommandKind.SYNC_NOW, actor="op"
        ).command.command_id
        clock.advance(3601)
        fleet.sweep()
        assert fleet.heartbeat(heartbeat(kiosk_id, at=clock.now)).commands == ()
        view = fleet.commands.get(command_id)
        assert view is not None
        assert view.state == "expired"
        assert AlertState.OPEN.value not in [a.state for a in fleet.list_alerts().alerts]
    finally:
        store.close()

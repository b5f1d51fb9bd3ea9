"""Commands from the central run on the real devices, between residents, once each."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.fleet.wiring import Fleet
from kiosk.session import SessionState as S
from offline_queue.wire import Command, CommandKind, CommandOutcome, CommandResult
from tests.journey.conftest import Rig
from tests.journey.test_real_stack import finish, to_summary

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.cups, pytest.mark.serial]


def fleet_of(rig: Rig) -> Fleet:
    fleet = rig.kiosk.fleet
    assert fleet is not None
    if fleet.controller is not rig.controller:
        fleet.attach(rig.controller)
    return fleet


def ticking_until(rig: Rig, done: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Tick the journey (as its timer does) and run its continuations until `done()`."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done; journey in {rig.controller.state}")
        rig.controller.tick()
        try:
            rig.pump.until(rig.controller, lambda _v: done(), timeout=0.2)
        except AssertionError:
            continue


def state_of(rig: Rig) -> S:
    return rig.controller.state


def result(fleet: Fleet, command_id: str) -> CommandResult | None:
    return fleet.store.result_of(command_id)


def command(command_id: str, kind: CommandKind) -> Command:
    return Command(command_id=command_id, kind=kind, issued_at=datetime.now(tz=UTC))


def printed(rig: Rig) -> set[Path]:
    assert rig.stack.cupsd is not None
    return set(rig.stack.cupsd.output_dir.glob("*.pdf"))


def test_a_test_page_waits_for_the_resident_and_prints_once(rig: Rig) -> None:
    fleet = fleet_of(rig)
    before = printed(rig)
    to_summary(rig)
    fleet.agent.receive(command("tp-1", CommandKind.PRINT_TEST_PAGE))
    rig.controller.tick()
    assert result(fleet, "tp-1") is None  # a resident is at the kiosk
    assert fleet.gate.pending() == 1
    rig.controller.cancel()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    ticking_until(rig, lambda: result(fleet, "tp-1") is not None)
    done = result(fleet, "tp-1")
    assert done is not None
    assert done.outcome is CommandOutcome.DONE, done.detail
    ticking_until(rig, lambda: len(printed(rig) - before) == 1)
    fleet.agent.receive(command("tp-1", CommandKind.PRINT_TEST_PAGE))  # delivered again
    ticking_until(rig, lambda: fleet.gate.pending() == 0)
    assert len(printed(rig) - before) == 1


def test_end_of_day_closes_the_terminal_s_day(rig: Rig) -> None:
    fleet = fleet_of(rig)
    terminal = rig.stack.terminal
    assert terminal is not None
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS, timeout=60)
    finish(rig)
    rig.state(S.ATTRACT)
    payments = [r for r in terminal.journal.records() if r.kind == "payment" and r.result == 0]
    assert not terminal.journal.closed(payments[-1].receipt)
    fleet.agent.receive(command("eod-1", CommandKind.END_OF_DAY))
    ticking_until(rig, lambda: result(fleet, "eod-1") is not None)
    done = result(fleet, "eod-1")
    assert done is not None
    assert done.outcome is CommandOutcome.DONE, done.detail
    assert "day closed" in done.detail
    assert terminal.journal.closed(payments[-1].receipt)  # the simulator's own day closure
    health = fleet.facts()["health"]
    assert isinstance(health, dict)
    assert health["payment_terminal"].last_end_of_day is not None
    counters = fleet.counters()
    assert counters.sessions >= 1
    assert counters.documents >= 1
    assert counters.revenue_cents >= 250


def test_out_of_service_and_back_from_the_central(rig: Rig) -> None:
    fleet = fleet_of(rig)
    fleet.agent.receive(command("oos-1", CommandKind.OUT_OF_SERVICE))
    ticking_until(rig, lambda: result(fleet, "oos-1") is not None)
    assert state_of(rig) is S.OUT_OF_SERVICE
    assert rig.controller.view.alert_keys == ("out_of_service.reason.remote",)
    fleet.agent.receive(command("bis-1", CommandKind.BACK_IN_SERVICE))
    ticking_until(rig, lambda: result(fleet, "bis-1") is not None)
    done = result(fleet, "bis-1")
    assert done is not None
    assert done.outcome is CommandOutcome.DONE, done.detail
    assert state_of(rig) is S.ATTRACT


def test_a_restart_is_stored_before_the_kiosk_exits_with_its_restart_code(rig: Rig) -> None:
    fleet = fleet_of(rig)
    codes: list[int] = []
    fleet.quit = codes.append
    fleet.agent.receive(command("rs-1", CommandKind.RESTART_APP))
    ticking_until(rig, lambda: bool(codes))
    assert codes == [75]
    done = result(fleet, "rs-1")
    assert done is not None
    assert done.outcome is CommandOutcome.DONE

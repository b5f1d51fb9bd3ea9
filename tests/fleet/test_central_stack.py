"""Fleet management against the real central server on loopback: configuration edited by an
operator, applied between residents; a bad one refused where it is saved; commands queued for an
offline kiosk executed once when it comes back."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from kiosk.fleet.wiring import Fleet
from kiosk.session import SessionState as S
from kiosk.staff_auth import LoginResult
from tests.central.fleet.conftest import valid_settings
from tests.journey.conftest import Rig
from tests.journey.test_real_stack import finish, to_summary

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]

OPERATOR = {"Authorization": "Bearer demo-operator-token"}


def operator(rig: Rig, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(
        method,
        rig.kiosk.config.central.url + path,
        json=body,
        headers=OPERATOR,
        timeout=10,
        verify=str(rig.kiosk.config.central.ca_file),  # the central's CA the kiosk pins
    )
    response.raise_for_status()
    return response.json() if response.content else None


def fleet_of(rig: Rig) -> Fleet:
    fleet = rig.kiosk.fleet
    assert fleet is not None
    if fleet.controller is not rig.controller:
        fleet.attach(rig.controller)
    return fleet


def beat(rig: Rig) -> None:
    rig.kiosk.sync.send_heartbeat().result(timeout=15)


def ticking_until(rig: Rig, done: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done; journey in {rig.controller.state}")
        rig.controller.tick()
        try:
            rig.pump.until(rig.controller, lambda _v: done(), timeout=0.2)
        except AssertionError:
            continue


def test_a_price_edited_at_the_central_is_applied_between_residents(rig: Rig) -> None:
    fleet = fleet_of(rig)
    kiosk_id = rig.kiosk.config.kiosk_id
    assert rig.stack.terminal is not None
    to_summary(rig)  # a resident is choosing: the new price must not reach them
    assert rig.controller.view.total_cents == 250
    # the fleet's default is the demo kiosk's own managed settings; this kiosk's override a price
    operator(rig, "PUT", "/api/v1/config", {"settings": valid_settings()})
    operator(
        rig,
        "PUT",
        f"/api/v1/kiosks/{kiosk_id}/config",
        {"settings": {"prices": {"household": 400}}},
    )
    beat(rig)
    rig.controller.tick()
    assert rig.controller.view.total_cents == 250
    assert fleet.gate.pending() == 1
    rig.controller.cancel()
    rig.state(S.REMOVE_CARD)
    rig.stack.remove_card()
    rig.state(S.ATTRACT)
    ticking_until(rig, lambda: fleet.gate.pending() == 0)
    assert rig.controller.settings.catalogue.prices_cents["household"] == 400

    to_summary(rig)
    assert rig.controller.view.total_cents == 400
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS, timeout=60)
    finish(rig)
    rig.state(S.ATTRACT)
    charged = [r for r in rig.stack.terminal.journal.records() if r.kind == "payment"]
    assert charged[-1].amount_cents == 400

    beat(rig)  # the report goes with the next heartbeat
    document = fleet.store.load_config()
    assert document is not None
    sent = rig.kiosk.sync.send_heartbeat().result(timeout=15)
    assert sent.config_etag == document.etag
    status = operator(rig, "GET", "/api/v1/fleet/kiosks")
    assert document.etag in str(status)


def test_a_configuration_a_kiosk_would_refuse_is_refused_at_the_central(rig: Rig) -> None:
    """Both ends run the one validator: 150.00 EUR is refused when the operator saves it (422,
    naming the key), nothing reaches the kiosk, and the running configuration stays. (A kiosk
    refusing what the central sent, after a version skew, is tested in test_agent.py.)"""
    fleet = fleet_of(rig)
    kiosk_id = rig.kiosk.config.kiosk_id
    operator(rig, "PUT", "/api/v1/config", {"settings": valid_settings()})
    beat(rig)
    ticking_until(rig, lambda: fleet.gate.pending() == 0)
    running = fleet.agent.config_etag
    price = rig.controller.settings.catalogue.prices_cents["household"]
    refused = requests.put(
        rig.kiosk.config.central.url + f"/api/v1/kiosks/{kiosk_id}/config",
        json={"settings": {"prices": {"household": 15000}}},
        headers=OPERATOR,
        timeout=10,
        verify=str(rig.kiosk.config.central.ca_file),
    )
    assert refused.status_code == 422
    assert "prices.household" in refused.text
    beat(rig)
    ticking_until(rig, lambda: fleet.gate.pending() == 0)
    assert rig.controller.settings.catalogue.prices_cents["household"] == price
    assert fleet.agent.config_etag == running


def test_commands_queued_for_an_offline_kiosk_run_once_when_it_comes_back(rig: Rig) -> None:
    fleet = fleet_of(rig)
    kiosk_id = rig.kiosk.config.kiosk_id
    assert rig.stack.cupsd is not None
    output = rig.stack.cupsd.output_dir
    before = set(output.glob("*.pdf"))
    # the kiosk is offline (no heartbeat) while the operator queues two commands
    page = operator(rig, "POST", f"/api/v1/kiosks/{kiosk_id}/commands", {"kind": "print_test_page"})
    code = operator(
        rig, "POST", f"/api/v1/kiosks/{kiosk_id}/commands", {"kind": "issue_maintenance_code"}
    )
    assert code["maintenance_code"]
    ids = {page["command"]["command_id"], code["command"]["command_id"]}
    beat(rig)  # it comes back: the commands come with the answer
    ticking_until(rig, lambda: all(fleet.store.result_of(i) is not None for i in ids))
    beat(rig)  # a result lost on the way is delivered again; here the central takes them
    beat(rig)
    ticking_until(rig, lambda: fleet.gate.pending() == 0)
    results = [fleet.store.result_of(i) for i in ids]
    assert [r.outcome.value if r is not None else None for r in results] == ["done", "done"]
    # cups-pdf writes the file after the job completes: a loaded machine takes its time
    ticking_until(rig, lambda: len(set(output.glob("*.pdf")) - before) >= 1, timeout=120)
    assert len(set(output.glob("*.pdf")) - before) == 1  # printed once
    views = {
        v["command_id"]: v
        for v in operator(rig, "GET", f"/api/v1/kiosks/{kiosk_id}/commands")["commands"]
    }
    assert {views[i]["state"] for i in ids} == {"done"}
    staff = rig.kiosk.staff
    assert staff is not None
    assert staff.login(code["maintenance_code"]) is LoginResult.ACCEPTED

"""The heartbeat's fleet content, sent to the real central and read back by an operator."""

from __future__ import annotations

import pytest
import requests

from kiosk import __version__
from kiosk.session import SessionState as S
from offline_queue.wire import KioskList, UpdateChannel
from tests.journey.conftest import Rig
from tests.journey.test_real_stack import finish, to_summary

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]


def test_the_heartbeat_carries_versions_health_backlog_and_today_s_counters(rig: Rig) -> None:
    fleet = rig.kiosk.fleet
    assert fleet is not None
    fleet.attach(rig.controller)
    before = fleet.counters()
    to_summary(rig)
    rig.controller.confirm_summary()
    rig.state(S.TAKE_DOCUMENTS, timeout=60)
    finish(rig)
    rig.state(S.ATTRACT)
    sent = rig.kiosk.sync.send_heartbeat().result(timeout=10)

    assert sent.version == __version__
    assert sent.channel is UpdateChannel.STABLE
    assert sent.config_version == "kiosk.toml"  # nothing from the central yet
    assert len(sent.catalogue_version) == 16
    assert sent.uptime_s >= 0
    printer = sent.health["printer"]
    assert printer.pages_printed_total is not None
    assert printer.pages_printed_total >= 1
    assert printer.pages_left is not None
    assert printer.pages_left < 250
    assert printer.paper_level_pct is not None
    assert sent.health["card_reader"].state == "present"
    assert sent.health["card_reader"].detail == "removed"
    assert sent.health["seal_token"].state == "ok"
    assert sent.health["seal_token"].certificate_not_after is not None
    assert sent.health["payment_terminal"].state == "reachable"
    assert sent.counters is not None
    assert sent.counters.sessions == before.sessions + 1
    assert sent.counters.documents == before.documents + 1
    assert sent.counters.revenue_cents == before.revenue_cents + 250
    assert sent.outbox_backlog == 0
    assert sent.outbox_oldest_age_s is None

    response = requests.get(
        f"{rig.kiosk.config.central.url}/api/v1/kiosks",
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=5,
        verify=str(rig.kiosk.config.central.ca_file),  # the central's CA the kiosk pins
    )
    response.raise_for_status()
    (status,) = [
        k
        for k in KioskList.model_validate(response.json()).kiosks
        if k.kiosk_id == rig.kiosk.config.kiosk_id
    ]
    assert status.heartbeat.health == sent.health
    assert status.heartbeat.counters == sent.counters

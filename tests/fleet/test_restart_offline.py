"""A kiosk restarted without the central runs the last good configuration it kept."""

from __future__ import annotations

import dataclasses
import stat
import tomllib
from pathlib import Path

import pytest

from devstack.sim import SimStack
from kiosk import app
from kiosk.config import KioskConfig
from kiosk.fleet.store import FleetStore
from kiosk.session import SessionState
from offline_queue.managed_config import managed_subset
from offline_queue.wire import KioskConfigDocument

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.cups, pytest.mark.serial]


def test_a_restart_offline_runs_the_last_good_configuration(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path
) -> None:
    settings = managed_subset(tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8")))
    settings["prices"]["household"] = 375
    settings["kiosk"]["documents"] = ["household", "residence"]
    settings["timeouts"] = {"pin": 45}
    settings["commune"]["name"] = "Borne-sur-Lesse"
    FleetStore(tmp_path / "data" / "fleet").save_config(
        KioskConfigDocument(etag="e7", version="v7", settings=settings)
    )
    config = dataclasses.replace(
        base_config,
        var_dir=tmp_path,
        central=dataclasses.replace(base_config.central, url="http://127.0.0.1:9"),  # offline
    )
    assert stack.token is not None
    kiosk = app.build(config, token=stack.token)
    try:
        assert kiosk.fleet is not None
        assert dict(kiosk.settings.catalogue.prices_cents) == {"household": 375, "residence": 250}
        assert kiosk.settings.timeouts_s[SessionState.PIN] == 45.0
        assert kiosk.settings.commune_name == "Borne-sur-Lesse"
        assert kiosk.fleet.agent.config_etag == "e7"
        assert kiosk.fleet.facts()["config_version"] == "v7"
        kept = tmp_path / "data" / "fleet" / "config.json"
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    finally:
        kiosk.stop()


def test_a_kept_configuration_that_no_longer_validates_is_ignored(
    stack: SimStack, base_config: KioskConfig, tmp_path: Path
) -> None:
    settings = managed_subset(tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8")))
    settings["prices"]["household"] = 99_999
    FleetStore(tmp_path / "data" / "fleet").save_config(
        KioskConfigDocument(etag="bad", version="v8", settings=settings)
    )
    config = dataclasses.replace(base_config, var_dir=tmp_path)
    assert stack.token is not None
    kiosk = app.build(config, token=stack.token)
    try:
        assert kiosk.settings.catalogue.prices_cents["household"] == 250  # kiosk.toml's
        assert kiosk.fleet is not None
        assert kiosk.fleet.agent.config_etag == ""
    finally:
        kiosk.stop()

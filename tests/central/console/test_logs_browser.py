"""The redacted logs end to end, in Chromium, against a REAL central over HTTPS (the kiosk pins
the TEST CA): an operator asks a kiosk for its logs from its page; the kiosk's own fleet agent
and sync service run the command between residents and send the redacted lines; the page lists
the upload, the operator downloads it (audited) and finds no persona's personal data in it; a
viewer sees the list but may not download (refused, audited)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from hardware.runner import DeviceRunner
from hardware.simulators.eid.persona import load_persona
from kiosk.adapters.sync import SyncService
from kiosk.app_settings import journey_settings
from kiosk.config import load_config
from kiosk.fleet.wiring import Fleet, build_fleet, upload_logs_handler
from kiosk.health import HealthBoard
from kiosk.logs import configure_logging
from offline_queue.client import CentralClient, SoftwareKioskKey
from offline_queue.wire import CommandKind, EnrollmentState
from tests.central.console.conftest import PASSWORD, ConsoleCentral, start_tls_console_central

pytestmark = pytest.mark.central

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tls_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleCentral, Path]]:
    with start_tls_console_central(tmp_path_factory.mktemp("logs-console")) as (central, tls):
        yield central, tls.ca_cert_path


def _kiosk(central: ConsoleCentral, ca: Path, folder: Path) -> tuple[Fleet, SyncService]:
    """A kiosk's fleet agent and sync service, enrolled with its own key, over HTTPS."""
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    key = SoftwareKioskKey.load_or_create(folder / "kiosk.key")
    with CentralClient(
        base_url=central.url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca
    ) as client:
        assert client.enroll(central.enrollment_code()) is EnrollmentState.PENDING
    status, _, err = central.cli("kiosks", "--db", central.db_url, "accept", kiosk_id)
    assert status == 0, err
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(folder)})
    config = replace(
        config,
        kiosk_id=kiosk_id,
        var_dir=folder,
        logging=replace(config.logging, directory=folder / "log"),
    )
    board = HealthBoard()
    fleet = build_fleet(config=config, make_settings=journey_settings, board=board, paper=None)
    runner = DeviceRunner("sync")
    runner.start()
    sync = SyncService(
        runner=runner,
        base_url=central.url,
        kiosk_id=kiosk_id,
        token="",
        outbox_path=folder / "outbox.sqlite",
        timeout_s=10.0,
        health_board=board,
        key_file=folder / "kiosk.key",
        heartbeat_facts=fleet.facts,
        on_ack=fleet.on_ack,
        ca_file=ca,
    )
    sync.start().result(timeout=30)
    fleet.agent.handlers[CommandKind.UPLOAD_LOGS] = upload_logs_handler(fleet, sync)
    return fleet, sync


def _log_a_resident(directory: Path) -> None:
    """What a careless component could log while serving Marie, through the real handlers."""
    persona = load_persona("marie")
    handlers = configure_logging(directory=directory, console=False)
    try:
        logging.getLogger("tests.logs.browser").warning(
            "register lookup failed for %s",
            persona.national_number,
            extra={"surname": persona.surname, "first_names": persona.first_names},
        )
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _sign_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Fleet")


def _operator(central: ConsoleCentral, ca: Path, path: str) -> Any:
    answer = requests.get(
        central.url + path,
        headers={"Authorization": "Bearer demo-operator-token"},
        verify=str(ca),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _until(done: Callable[[], bool], step: Callable[[], None], *, tries: int = 40) -> None:
    for _ in range(tries):
        if done():
            return
        step()
    raise AssertionError("not done")


def test_an_operator_gets_a_kiosks_redacted_logs_and_a_viewer_may_not_download_them(
    tls_central: tuple[ConsoleCentral, Path], browser: Browser, tmp_path: Path
) -> None:
    central, ca = tls_central
    fleet, sync = _kiosk(central, ca, tmp_path)
    kiosk_id = fleet.config.kiosk_id
    _log_a_resident(tmp_path / "log")
    sync.send_heartbeat().result(timeout=30)

    operator = central.add_operator("operator")
    context = browser.new_context(locale="en-GB", ignore_https_errors=True, accept_downloads=True)
    try:
        page = context.new_page()
        _sign_in(page, central.url, operator)
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        expect(page.locator("#log-uploads")).to_contain_text("No logs received from this kiosk")
        page.click("#ask-logs")
        expect(page.locator("#command-list")).to_contain_text("Upload redacted logs")

        def step() -> None:
            sync.send_heartbeat().result(timeout=30)  # the command arrives, then its result goes
            fleet.gate.run_pending()  # between residents

        def reported() -> bool:
            page = _operator(central, ca, f"/api/v1/kiosks/{kiosk_id}/commands")
            return [c["state"] for c in page["commands"]] == ["done"]

        _until(reported, step)
        page.reload()
        rows = page.locator("#log-upload-list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("lines")
        expect(page.locator("#command-list tr[data-state='done']")).to_contain_text(
            "Upload redacted logs"
        )
        with page.expect_download() as download_info:
            rows.first.get_by_role("link", name="Download").click()
        download = download_info.value
        assert download.suggested_filename.startswith(f"{kiosk_id}-logs-")
        text = Path(download.path()).read_text(encoding="utf-8")
        persona = load_persona("marie")
        entries = [json.loads(line) for line in text.splitlines()]
        failed = [e for e in entries if e["event"].startswith("register lookup failed")]
        assert failed, "the resident's line is in the upload"
        for secret in (persona.national_number, persona.surname, persona.first_names):
            assert secret not in text
        assert ("logs_download", kiosk_id, "ok") in central.audit(operator)
    finally:
        context.close()

    viewer = central.add_operator("viewer")
    context = browser.new_context(locale="en-GB", ignore_https_errors=True)
    try:
        page = context.new_page()
        _sign_in(page, central.url, viewer)
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        expect(page.locator("#log-upload-list tbody tr")).to_have_count(1)
        expect(page.locator("#log-upload-list")).to_contain_text("operator role needed")
        expect(page.locator("#ask-logs")).to_have_count(0)
        upload_id = page.locator("#log-upload-list tbody tr").first.get_attribute("data-upload")
        refused = page.goto(f"{central.url}/console/kiosks/{kiosk_id}/logs/{upload_id}")
        assert refused is not None
        assert refused.status == 403
        assert ("logs_download", kiosk_id, "forbidden") in central.audit(viewer)
    finally:
        context.close()
    listed = _operator(central, ca, f"/api/v1/kiosks/{kiosk_id}/logs")
    assert [u["lines"] for u in listed["uploads"]] == [len(entries)]

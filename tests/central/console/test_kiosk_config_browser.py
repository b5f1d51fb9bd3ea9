"""A kiosk's own configuration, in Chromium, against a REAL central: an administrator opens it
from the kiosk's page, sets a price and a time-out in their fields, sees the diff of what the
kiosk will run, saves (audited); the kiosk's configuration pull brings the merged document under
a new ETag (then 304); a value the kiosk would refuse is refused with the key named, nothing
saved; a viewer sees the settings but cannot change them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from offline_queue.wire import Heartbeat
from tests.central.console.conftest import PASSWORD, ConsoleCentral
from tests.central.fleet.conftest import valid_settings
from tests.central.kiosks import enrolled_client

pytestmark = pytest.mark.central

OPERATOR = {"Authorization": "Bearer demo-operator-token"}


def _sign_in(page: Page, central: ConsoleCentral, role: str) -> str:
    name = central.add_operator(role)
    page.goto(f"{central.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".mainnav")).to_be_visible()
    return name


def test_an_administrator_overrides_a_kiosks_settings_and_the_kiosk_pulls_them(
    central: ConsoleCentral, browser: Browser
) -> None:
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    saved = requests.put(
        f"{central.url}/api/v1/config",
        json={"settings": valid_settings()},
        headers=OPERATOR,
        timeout=10,
    )
    assert saved.status_code == 200, saved.text
    client = enrolled_client(central.server, kiosk_id)
    client.heartbeat(Heartbeat(kiosk_id=kiosk_id, version="3.1.0", sent_at=datetime.now(tz=UTC)))
    before = client.fetch_config(etag="")
    assert before is not None
    assert before.settings["prices"]["household"] == 250  # type: ignore[index]

    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        admin = _sign_in(page, central, "admin")
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        expect(page.locator("#kiosk-config")).to_contain_text("the kiosk follows the fleet")
        page.click("#kiosk-config-link")
        row = page.locator("tr[data-setting='prices.household']")
        expect(row).to_contain_text("250")
        page.fill("#f-prices\\.household", "15000")
        page.click("#config-preview")
        expect(page.locator("#config-error")).to_contain_text("prices.household")
        expect(page.locator("#config-diff")).to_have_count(0)

        page.fill("#f-prices\\.household", "400")
        page.fill("#f-timeouts\\.pin", "45")
        page.click("#config-preview")
        diff = page.locator("#config-diff")
        expect(diff).to_contain_text('+    "household": 400')
        expect(diff).to_contain_text('-    "household": 250')
        expect(diff).to_contain_text('+    "pin": 45')
        page.click("#config-save")
        expect(page.locator("tr[data-setting='prices.household'] td").nth(3)).to_have_text("400")
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        expect(page.locator("#kiosk-config")).to_contain_text("prices.household, timeouts.pin")
    finally:
        context.close()
    assert ("kiosk_config_edit", kiosk_id, "ok") in central.audit(admin)

    after = client.fetch_config(etag=before.etag)
    assert after is not None
    assert after.etag != before.etag
    assert after.settings["prices"]["household"] == 400  # type: ignore[index]
    assert after.settings["prices"]["life"] == 0  # type: ignore[index]  # the fleet's
    assert after.settings["timeouts"]["pin"] == 45  # type: ignore[index]
    assert client.fetch_config(etag=after.etag) is None  # unchanged: 304
    client.close()

    context = browser.new_context(locale="nl-BE")
    try:
        page = context.new_page()
        _sign_in(page, central, "viewer")
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}/config")
        expect(page.locator("#f-prices\\.household")).to_have_value("400")
        expect(page.locator("#f-prices\\.household")).to_have_attribute("readonly", "")
        expect(page.locator("#config-preview")).to_have_count(0)
    finally:
        context.close()

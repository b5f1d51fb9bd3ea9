"""A resident's Help reaches the operators' console (Chromium, a real central over loopback): the
alert shows the screen and the reason with what to do, and the operator resolves it there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, expect

from offline_queue.wire import Heartbeat, ResidentCall, ResidentCallKind
from tests.central.console.conftest import PASSWORD, ConsoleCentral, start_console_central
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central


@pytest.fixture(scope="module")
def help_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentral]:
    yield from start_console_central("sqlite", tmp_path_factory.mktemp("help"))


def test_a_help_call_is_listed_with_its_screen_and_resolved_by_the_operator(
    help_central: ConsoleCentral, browser: Browser
) -> None:
    central = help_central
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    token = kiosk_token(central.server, kiosk_id)
    now = datetime.now(tz=UTC)
    beat = Heartbeat(
        kiosk_id=kiosk_id,
        version="3.1.0",
        sent_at=now,
        resident_calls=(
            ResidentCall(
                kind=ResidentCallKind.HELP_REQUESTED,
                screen="pin",
                reason="card_stuck",
                raised_at=now,
            ),
        ),
    )
    answer = httpx.post(
        f"{central.url}/api/v1/heartbeat",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=beat.model_dump_json(),
    )
    assert answer.status_code == 200, answer.text
    name = central.add_operator("operator")
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{central.url}/console/login")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.get_by_role("link", name="Alerts").click()
        alert = page.locator(f"#alerts tr[data-kiosk='{kiosk_id}'][data-kind='help_requested']")
        expect(alert).to_contain_text("A resident asks for help")
        expect(alert).to_contain_text("on the 'pin' screen, card stuck, at ")  # in words
        expect(alert).to_contain_text("it stays in service")
        alert.get_by_role("button", name="Resolved").click()
        expect(page.locator(".notice")).to_contain_text(f"Alert of {kiosk_id} resolved")
        expect(alert).to_have_count(0)  # the active list no longer holds it
    finally:
        context.close()

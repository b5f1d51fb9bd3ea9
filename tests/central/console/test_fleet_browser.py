"""The console with the fleet domain, in Chromium, against a real central over loopback: a kiosk
goes offline when its heartbeats stop (seen by the central's own sweeper, with a short threshold),
the operator acknowledges the alert, queues "print a test page" for the offline kiosk, and sees it
delivered with the next heartbeat and its result once the kiosk reports it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from offline_queue.wire import (
    CommandKind,
    CommandOutcome,
    CommandResult,
    Heartbeat,
    HeartbeatAck,
)
from tests.central.console.conftest import PASSWORD, ConsoleCentral, start_console_central
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central

_SHORT = {"BORNE_CENTRAL_OFFLINE_AFTER_S": "5", "BORNE_CENTRAL_SWEEP_INTERVAL_S": "0.2"}
_TOKENS: dict[tuple[str, str], str] = {}


def _headers(central: ConsoleCentral, kiosk_id: str) -> dict[str, str]:
    """The headers of `kiosk_id`, enrolled (once per server) with its own key."""
    token = _TOKENS.get((central.url, kiosk_id))
    if token is None:
        token = _TOKENS[(central.url, kiosk_id)] = kiosk_token(central.server, kiosk_id)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def fleet_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentral]:
    yield from start_console_central("sqlite", tmp_path_factory.mktemp("fleet"), env=_SHORT)


def _heartbeat(central: ConsoleCentral, kiosk_id: str) -> HeartbeatAck:
    answer = httpx.post(
        f"{central.url}/api/v1/heartbeat",
        headers=_headers(central, kiosk_id),
        content=Heartbeat(
            kiosk_id=kiosk_id, version="3.1.0", sent_at=datetime.now(tz=UTC)
        ).model_dump_json(),
    )
    assert answer.status_code == 200, answer.text
    return HeartbeatAck.model_validate_json(answer.content)


def _reload_until(page: Page, locator: Callable[[], Locator], text: str, *, within: float) -> None:
    """Reload the page (no JavaScript on it) until `locator` shows `text`: a condition, polled."""
    deadline = time.monotonic() + within
    while True:
        page.reload()
        if text in (locator().text_content() or ""):
            return
        assert time.monotonic() < deadline, f"{text!r} did not appear"
        page.wait_for_timeout(200)


def test_offline_alert_acknowledged_and_a_command_run_when_the_kiosk_returns(
    fleet_central: ConsoleCentral, browser: Browser
) -> None:
    central = fleet_central
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    assert not _heartbeat(central, kiosk_id).commands
    name = central.add_operator("operator")
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{central.url}/console/login")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Fleet")
        _heartbeat(central, kiosk_id)
        page.reload()
        expect(page.locator(f"#fleet tr[data-kiosk='{kiosk_id}']")).to_contain_text("Online")

        # the heartbeats stop: the central marks the kiosk offline and opens an alert by itself
        def row() -> Locator:
            return page.locator(f"#fleet tr[data-kiosk='{kiosk_id}']")

        _reload_until(page, row, "Offline", within=30)
        expect(row()).to_contain_text("check the kiosk's power and network cable")

        page.get_by_role("link", name="Alerts").click()
        alert = page.locator(f"#alerts tr[data-kiosk='{kiosk_id}'][data-kind='offline']")
        expect(alert).to_contain_text("Open")
        alert.get_by_role("button", name="Acknowledge").click()
        expect(page.locator(".notice")).to_contain_text(f"Alert of {kiosk_id} acknowledged")
        expect(alert).to_contain_text("Acknowledged")
        expect(alert).to_contain_text(f"by {name}")

        # a test page for the offline kiosk waits in the queue
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        page.select_option("#command-kind", CommandKind.PRINT_TEST_PAGE.value)
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".notice")).to_contain_text(f"Command queued for {kiosk_id}")
        command = page.locator("#command-list tbody tr").first
        expect(command).to_contain_text("Print a test page")
        expect(command).to_contain_text("Queued")

        # the kiosk comes back: the command comes with the heartbeat's answer
        ack = _heartbeat(central, kiosk_id)
        assert [c.kind for c in ack.commands] == [CommandKind.PRINT_TEST_PAGE]
        delivered = ack.commands[0]
        page.reload()
        expect(command).to_contain_text("Delivered")

        result = CommandResult(
            command_id=delivered.command_id,
            kiosk_id=kiosk_id,
            outcome=CommandOutcome.DONE,
            finished_at=datetime.now(tz=UTC),
            detail="test page printed",
        )
        answer = httpx.post(
            f"{central.url}/api/v1/commands/{delivered.command_id}/result",
            headers=_headers(central, kiosk_id),
            content=result.model_dump_json(),
        )
        assert answer.status_code == 200, answer.text
        page.reload()
        expect(command).to_contain_text("Done")
        expect(command).to_contain_text("test page printed")
        expect(page.locator("h1")).to_contain_text("Online")
    finally:
        context.close()
    actions = [(action, outcome) for action, _, outcome in central.audit(name)]
    assert ("alert_acknowledge", "ok") in actions
    assert ("command_queue", "ok") in actions

"""The staff audit page of the console, in Chromium, against a real central over loopback: an
operator opens a kiosk's staff events from its page and sees the chain intact; after the kiosk
sends an event whose predecessor is missing, the page shows where the chain broke and the alerts
page shows the alert with what to do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from kiosk.staff_audit import StaffAuditLog
from offline_queue.wire import Heartbeat, StaffAuditBatch, StaffAuditEvent
from tests.central.console.conftest import PASSWORD, ConsoleCentral
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central


def _events(folder: Path, kiosk_id: str, count: int) -> list[StaffAuditEvent]:
    log = StaffAuditLog(folder / "staff_audit.sqlite", kiosk_id=kiosk_id)
    for action in ("login_accepted", "alerts_acknowledged", "exit_to_system", "login_refused")[
        :count
    ]:
        log.record(actor="code-0f0f0f0f0f0f", role="technician", action=action, detail={})
    events = list(log.events())
    log.close()
    return events


def test_the_operator_sees_a_kiosks_staff_events_and_where_their_chain_broke(
    central: ConsoleCentral, browser: Browser, tmp_path: Path
) -> None:
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    headers = {
        "Authorization": f"Bearer {kiosk_token(central.server, kiosk_id)}",
        "Content-Type": "application/json",
    }

    def post(path: str, body: str) -> None:
        answer = httpx.post(f"{central.url}{path}", headers=headers, content=body)
        assert answer.status_code == 200, answer.text

    post(
        "/api/v1/heartbeat",
        Heartbeat(
            kiosk_id=kiosk_id, version="3.1.0", sent_at=datetime.now(tz=UTC)
        ).model_dump_json(),
    )
    events = _events(tmp_path, kiosk_id, 4)
    post(
        "/api/v1/staff-audit",
        StaffAuditBatch(kiosk_id=kiosk_id, events=tuple(events[:2])).model_dump_json(),
    )

    name = central.add_operator("viewer")
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{central.url}/console/login")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Fleet")
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        page.get_by_role("link", name="Staff audit of this kiosk").click()
        expect(page.locator("h1")).to_contain_text(f"Staff audit · {kiosk_id}")
        expect(page.locator("#chain-state")).to_contain_text("Chain intact")
        rows = page.locator("#staff-events tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("alerts_acknowledged")  # newest first

        # the third event never arrives: the fourth opens the alert
        post(
            "/api/v1/staff-audit",
            StaffAuditBatch(kiosk_id=kiosk_id, events=(events[3],)).model_dump_json(),
        )
        page.reload()
        expect(page.locator("#chain-state")).to_contain_text("Chain broken")
        expect(page.locator("#chain-breaks")).to_contain_text("an event is missing before this one")
        expect(page.locator("#staff-events tr[data-seq='4']")).to_contain_text("broken")
        expect(page.locator("#staff-events tr[data-seq='2']")).to_contain_text("linked")

        page.goto(f"{central.url}/console/alerts")
        alert = page.locator(f"#alerts tr[data-kiosk='{kiosk_id}'][data-kind='audit_chain_broken']")
        expect(alert).to_contain_text("Staff audit chain broken")
        expect(alert).to_contain_text("report it to the security officer")
    finally:
        context.close()

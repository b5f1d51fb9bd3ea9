"""The console's reconciliation page in Chromium, against a real central over loopback: a kiosk's
day of records against the terminal's end-of-day totals (sent as a console command and reported
by the kiosk), with each difference highlighted and what to do, in English and in French."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from central.console.reconciliation_page import DIFFERENCE_CODES, euros
from offline_queue.wire import (
    CommandKind,
    CommandOutcome,
    CommandResult,
    PaymentStatus,
    RecordBatch,
)
from tests.central.console.conftest import PASSWORD, ConsoleCentral
from tests.central.fleet.conftest import record
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central

BRUSSELS = ZoneInfo("Europe/Brussels")


def _kiosk_headers(central: ConsoleCentral, kiosk_id: str) -> dict[str, str]:
    token = kiosk_token(central.server, kiosk_id)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _log_in(page: Page, central: ConsoleCentral, name: str) -> None:
    page.goto(f"{central.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_be_visible()


def _send_records(
    central: ConsoleCentral, kiosk_id: str, headers: dict[str, str], *records: object
) -> None:
    batch = RecordBatch(batch_id=f"b-{uuid.uuid4().hex[:8]}", kiosk_id=kiosk_id, records=records)  # type: ignore[arg-type]
    answer = httpx.post(
        f"{central.url}/api/v1/records", headers=headers, content=batch.model_dump_json()
    )
    assert answer.status_code == 200, answer.text


def _end_of_day(
    page: Page,
    central: ConsoleCentral,
    kiosk_id: str,
    headers: dict[str, str],
    totals: dict[str, int],
) -> None:
    """The operator sends "end of day" from the kiosk's page; the kiosk reports the terminal's totals."""
    page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
    page.select_option("#command-kind", CommandKind.END_OF_DAY.value)
    page.locator("#command-kind").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).click()
    expect(page.locator(".notice")).to_be_visible()
    commands = httpx.get(
        f"{central.url}/api/v1/kiosks/{kiosk_id}/commands",
        headers={"Authorization": "Bearer demo-operator-token"},
    ).json()["commands"]
    (command,) = [c for c in commands if c["kind"] == CommandKind.END_OF_DAY.value]
    result = CommandResult(
        command_id=command["command_id"],
        kiosk_id=kiosk_id,
        outcome=CommandOutcome.DONE,
        finished_at=datetime.now(tz=BRUSSELS).replace(hour=18),
        detail=json.dumps(totals),
    )
    answer = httpx.post(
        f"{central.url}/api/v1/commands/{command['command_id']}/result",
        headers=headers,
        content=result.model_dump_json(),
    )
    assert answer.status_code == 200, answer.text


def test_the_days_differences_are_highlighted_with_what_to_do(
    central: ConsoleCentral, browser: Browser
) -> None:
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    headers = _kiosk_headers(central, kiosk_id)
    at = datetime.now(tz=BRUSSELS).replace(hour=11)
    unknown = record(
        kiosk_id, payment_status=PaymentStatus.UNKNOWN, outcome="payment_unknown", occurred_at=at
    )
    _send_records(
        central,
        kiosk_id,
        headers,
        record(kiosk_id, amount_cents=250, occurred_at=at),
        record(kiosk_id, amount_cents=300, occurred_at=at),
        unknown,
    )
    name = central.add_operator("operator")
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _log_in(page, central, name)
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}")
        page.locator("#reconciliation-link").click()
        expect(page.locator("h1")).to_contain_text(f"Reconciliation · {kiosk_id}")
        expect(page.locator("#verdict")).to_have_text("Differences")
        expect(page.locator("#kiosk-net")).to_have_text("5,50 €")
        expect(page.locator("#terminal-side")).to_contain_text("No end-of-day totals")
        missing = page.locator("#differences tr[data-code='no_terminal_totals']")
        expect(missing).to_contain_text("End of day on the terminal")  # what to do

        _end_of_day(page, central, kiosk_id, headers, {"count": 2, "total_cents": 500})
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}/reconciliation")
        expect(page.locator("#terminal-net")).to_have_text("5,00 €")
        amount = page.locator("#differences tr[data-code='amount_mismatch']")
        expect(amount).to_contain_text("Amounts differ")
        expect(amount).to_contain_text("kiosk=550 terminal=500")
        expect(amount).to_have_class("alert danger")
        review = page.locator("#differences tr[data-code='payment_unknown']")
        expect(review).to_contain_text(unknown.operation_id)
        expect(review).to_contain_text("payment provider")
        expect(page.locator("#differences tr[data-code='no_terminal_totals']")).to_have_count(0)

        # the previous day holds nothing of this kiosk; a day that is not one is refused
        page.locator("#previous-day").click()
        expect(page.locator("#kiosk-side")).to_contain_text("0,00 €")
        expect(page.locator("#next-day")).to_be_visible()
        bad = page.goto(f"{central.url}/console/kiosks/{kiosk_id}/reconciliation?day=yesterday")
        assert bad is not None
        assert bad.status == 400
    finally:
        context.close()


def test_a_balanced_day_in_french(central: ConsoleCentral, browser: Browser) -> None:
    kiosk_id = f"hall-{uuid.uuid4().hex[:6]}"
    headers = _kiosk_headers(central, kiosk_id)
    at = datetime.now(tz=BRUSSELS).replace(hour=10)
    _send_records(central, kiosk_id, headers, record(kiosk_id, amount_cents=250, occurred_at=at))
    name = central.add_operator("viewer")
    operator = central.add_operator("operator")
    context = browser.new_context(locale="fr-BE")
    try:
        page = context.new_page()
        _log_in(page, central, operator)
        _end_of_day(page, central, kiosk_id, headers, {"count": 1, "total_cents": 250})
        page.context.clear_cookies()
        _log_in(page, central, name)  # reading the reconciliation needs no more than a viewer
        page.goto(f"{central.url}/console/kiosks/{kiosk_id}/reconciliation")
        expect(page.locator("h1")).to_contain_text("Rapprochement")
        expect(page.locator("#verdict")).to_have_text("Équilibré")
        expect(page.locator("#differences")).to_contain_text("Aucun écart")
        expect(page.locator("#terminal-net")).to_have_text("2,50 €")
    finally:
        context.close()


def test_the_page_explains_every_difference_the_reconciliation_reports() -> None:
    source = (Path(__file__).resolve().parents[3] / "central" / "fleet" / "reconcile.py").read_text(
        encoding="utf-8"
    )
    assert set(re.findall(r'code="([a-z_]+)"', source)) == set(DIFFERENCE_CODES)
    assert euros(550) == "5,50 €"
    assert euros(-5) == "-0,05 €"

"""The audit of the register lookups, in Chromium, against a REAL central: lookups made by
enrolled kiosks through the register route (a resident's card proof signed by a virtual eID, a
lookup without proof, a number not in the register) are listed newest first with the national
number masked, filtered by kiosk, outcome and day with a plain GET form, paged, in FR/NL/EN;
a viewer may not open it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from central import citizen_proof as cp
from central.console.lookups_page import PAGE_SIZE
from central.lookup_audit import LOCAL_TZ
from central.process import start_central
from central.store import SqlCentralStore
from offline_queue.errors import CitizenProofRefused, NotInRegister
from tests.central.console.conftest import PASSWORD, ConsoleCentral
from tests.central.databases import database_url
from tests.central.kiosks import citizen_proof, citizen_roots, enrolled_client

pytestmark = pytest.mark.central

MARIE = "85031412401"  # in the demo register
STRANGER = "00010100155"  # a well-formed number the demo register does not hold


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentral]:
    folder = tmp_path_factory.mktemp("lookups")
    url = database_url("sqlite", folder)
    with start_central(
        db_url=url, log_path=folder / "central.log", citizen_roots=citizen_roots()
    ) as server:
        yield ConsoleCentral(server=server, db_url=url, folder=folder)


def _sign_in(page: Page, central: ConsoleCentral, role: str) -> None:
    page.goto(f"{central.url}/console/login")
    page.fill("#name", central.add_operator(role))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".mainnav")).to_be_visible()


def test_the_register_lookups_are_listed_masked_filtered_and_paged(
    central: ConsoleCentral, browser: Browser, tmp_path: Path
) -> None:
    hall, annex = f"hall-{uuid.uuid4().hex[:6]}", f"annex-{uuid.uuid4().hex[:6]}"
    with enrolled_client(central.server, hall) as client:
        assert client.register_extract(MARIE, citizen_proof(client, MARIE)).members
        with pytest.raises(CitizenProofRefused):
            client.register_extract(MARIE)  # no proof of the card: refused, and audited
    with enrolled_client(central.server, annex) as client, pytest.raises(NotInRegister):
        client.register_extract(STRANGER, citizen_proof(client, STRANGER))

    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _sign_in(page, central, "admin")
        page.get_by_role("link", name="Register lookups").click()
        expect(page.locator("h1")).to_contain_text("Population register lookups")
        rows = page.locator("#lookups tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text(annex)  # newest first
        expect(rows.nth(0)).to_contain_text("Not in the register")
        expect(rows.nth(1)).to_contain_text("Refused: no proof from the card")
        expect(rows.nth(2)).to_contain_text("Extract given")
        expect(rows.nth(2)).to_contain_text("***********")
        content = page.content()
        assert MARIE not in content
        assert STRANGER not in content

        page.fill("#lookup-filters input[name=kiosk]", hall)
        page.click("#lookup-filters button[type=submit]")
        expect(rows).to_have_count(2)
        assert f"kiosk={hall}" in page.url  # a plain GET form: the filter is in the address
        page.select_option("#lookup-filters select[name=outcome]", "found")
        page.click("#lookup-filters button[type=submit]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-outcome", "found")

        tomorrow = (datetime.now(tz=UTC) + timedelta(days=2)).date().isoformat()
        page.goto(f"{central.url}/console/register-lookups?from={tomorrow}")
        expect(page.locator(".empty")).to_contain_text("No lookup matches")
        today = datetime.now(tz=LOCAL_TZ).date().isoformat()  # the console's days are Brussels days
        page.goto(f"{central.url}/console/register-lookups?kiosk={annex}&from={today}&to={today}")
        expect(rows).to_have_count(1)
    finally:
        context.close()

    # more lookups than a page, written by the register route's own audit
    store = SqlCentralStore(central.db_url, migrate=False)
    try:
        proofs = cp.CitizenProofs(store.engine, trust=cp.citizen_trust(()))
        for _ in range(PAGE_SIZE + 2):
            proofs.audit(kiosk_id=hall, national_number=MARIE, outcome="not_found")
    finally:
        store.close()
    context = browser.new_context(locale="fr-BE")
    try:
        page = context.new_page()
        _sign_in(page, central, "admin")
        page.goto(f"{central.url}/console/register-lookups?kiosk={hall}")
        expect(page.locator("h1")).to_contain_text("Consultations du registre de la population")
        rows = page.locator("#lookups tbody tr")
        expect(rows).to_have_count(PAGE_SIZE)
        page.get_by_role("link", name="Plus anciens").click()
        expect(rows).to_have_count(4)  # 2 more, then the two first lookups of this kiosk
        expect(rows.last).to_contain_text("Extrait délivré")
        assert f"kiosk={hall}" in page.url
    finally:
        context.close()

    context = browser.new_context(locale="nl-BE")
    try:
        page = context.new_page()
        _sign_in(page, central, "viewer")
        expect(page.get_by_role("link", name="Registerraadplegingen")).to_have_count(0)
        answer = page.goto(f"{central.url}/console/register-lookups")
        assert answer is not None
        assert answer.status == 403
    finally:
        context.close()


def test_a_staff_cards_proof_is_listed_as_such_not_as_a_lookup(
    central: ConsoleCentral, browser: Browser
) -> None:
    desk = f"desk-{uuid.uuid4().hex[:6]}"
    with enrolled_client(central.server, desk) as client:
        client.staff_proof(MARIE, citizen_proof(client, MARIE))
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _sign_in(page, central, "admin")
        page.goto(f"{central.url}/console/register-lookups?kiosk={desk}&outcome=staff_proof")
        rows = page.locator("#lookups tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Staff card proved (no lookup)")
        expect(rows.first).to_have_attribute("data-outcome", "staff_proof")
        page.goto(f"{central.url}/console/register-lookups?kiosk={desk}&outcome=found")
        expect(page.locator(".empty")).to_contain_text("No lookup matches")
    finally:
        context.close()

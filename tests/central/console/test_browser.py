"""The console in Debian's Chromium (Playwright) against a real central server over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from offline_queue.wire import DeviceHealth, Heartbeat
from tests.central.console.conftest import PASSWORD, ConsoleCentral

pytestmark = pytest.mark.central


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, central: ConsoleCentral, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{central.url}/")
    expect(page).to_have_url(f"{central.url}/console/login?next=/console/")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_an_operator_signs_in_and_sees_the_fleet(central: ConsoleCentral, page: Page) -> None:
    name = central.add_operator("viewer")
    sign_in(page, central, name)

    expect(page).to_have_url(f"{central.url}/console/")
    expect(page.locator("h1")).to_contain_text("Fleet")
    expect(page.locator(".who")).to_contain_text(name)
    cookie = next(c for c in page.context.cookies() if c["name"] == "borne_console_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert ("login", "", "ok") in central.audit(name)


def test_a_wrong_password_is_refused(central: ConsoleCentral, page: Page) -> None:
    name = central.add_operator("admin")
    sign_in(page, central, name, password="not-the-password")

    expect(page.locator("[role=alert]")).to_contain_text("Wrong name or password")
    assert not [c for c in page.context.cookies() if c["name"] == "borne_console_session"]
    page.goto(f"{central.url}/console/enrollments")
    expect(page).to_have_url(f"{central.url}/console/login?next=/console/enrollments")
    assert ("login", "", "refused") in central.audit(name)


def test_a_viewer_cannot_accept_an_enrollment(central: ConsoleCentral, page: Page) -> None:
    kiosk = central.pending_kiosk()
    name = central.add_operator("viewer")
    sign_in(page, central, name)
    page.goto(f"{central.url}/console/enrollments")
    row = page.locator(f"tr[data-kiosk='{kiosk.kiosk_id}']")
    expect(row).to_contain_text("Pending")
    expect(row.get_by_role("button", name="Accept")).to_have_count(0)

    # the form is not offered to a viewer: post it as the browser would, with the session's token
    csrf = page.locator("form[action='/console/logout'] input[name=csrf]").get_attribute("value")
    assert csrf
    answer = page.request.post(
        f"{central.url}/console/enrollments/{kiosk.kiosk_id}/accept",
        form={"csrf": csrf},
        headers={"Accept-Language": "en"},
    )

    assert answer.status == 403
    assert "Your role does not allow this action." in answer.text()
    assert central.enrollment_state(kiosk.kiosk_id) == "pending"
    assert ("enrollment_accept", kiosk.kiosk_id, "forbidden") in central.audit(name)


def test_an_operator_accepts_a_pending_kiosk_and_sees_its_heartbeat(
    central: ConsoleCentral, page: Page
) -> None:
    kiosk = central.pending_kiosk()
    name = central.add_operator("operator")
    sign_in(page, central, name)
    page.goto(f"{central.url}/console/enrollments")
    page.locator(f"tr[data-kiosk='{kiosk.kiosk_id}']").get_by_role("button", name="Accept").click()

    expect(page.locator(".notice")).to_contain_text(f"Kiosk {kiosk.kiosk_id} accepted")
    assert central.enrollment_state(kiosk.kiosk_id) == "accepted"
    assert ("enrollment_accept", kiosk.kiosk_id, "ok") in central.audit(name)

    # the accepted kiosk can now sign in and send its heartbeat, which the fleet table shows
    kiosk.heartbeat(
        Heartbeat(
            kiosk_id=kiosk.kiosk_id,
            version="9.8.7",
            sent_at=datetime.now(tz=UTC),
            health={"printer": DeviceHealth(state="ok", paper_level_pct=64, pages_left=320)},
        )
    )
    page.goto(f"{central.url}/console/")
    row = page.locator(f"#fleet tr[data-kiosk='{kiosk.kiosk_id}']")
    expect(row).to_contain_text("Online")
    expect(row).to_contain_text("9.8.7")
    expect(row).to_contain_text("320 pages")
    row.get_by_role("link", name=kiosk.kiosk_id).click()
    expect(page.locator("h1")).to_contain_text(kiosk.kiosk_id)
    expect(page.locator(".timeline")).to_contain_text("Last heartbeat: version 9.8.7")
    expect(page.locator(".timeline")).to_contain_text(f"{name}: enrollment_accept (ok)")


def test_the_language_follows_the_browser_and_the_switcher(
    central: ConsoleCentral, browser: Browser
) -> None:
    context = browser.new_context(locale="nl-BE")
    try:
        page = context.new_page()
        page.goto(f"{central.url}/console/login")
        expect(page.locator("h1")).to_have_text("Aanmelden bij de vlootconsole")
        page.get_by_role("link", name="FR").click()
        expect(page.locator("h1")).to_have_text("Connexion à la console du parc")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
    finally:
        context.close()


def test_an_invalid_configuration_is_refused_with_its_reason_and_not_saved(
    central: ConsoleCentral, page: Page
) -> None:
    name = central.add_operator("admin")
    sign_in(page, central, name)
    page.get_by_role("link", name="Configuration").click()

    page.fill("#settings", '{"prices": {"residence": "six euros"}}')
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.locator("#config-error")).to_contain_text("prices")
    expect(page.locator("#config-diff")).to_have_count(0)

    assert ("config_edit", "fleet", "ok") not in central.audit(name)

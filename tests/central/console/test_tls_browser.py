"""The console as an operator meets it in production: HTTPS, in Chromium, with its cookie Secure.

The central serves its TEST certificate; Chromium is told to accept that one key only (its
SubjectPublicKeyInfo pinned with `--ignore-certificate-errors-spki-list`, every other check on),
so a browser without the pin is refused, as a browser of the commune would be by a wrong key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Error, expect, sync_playwright

from central.console.browser import CHROMIUM, CHROMIUM_ARGS
from tests.central.console.conftest import PASSWORD, ConsoleCentral, start_tls_console_central

pytestmark = pytest.mark.central

COOKIE = "borne_console_session"


def spki_pin(cert_path: Path) -> str:
    """Chromium's pin of a certificate: base64 of the SHA-256 of its SubjectPublicKeyInfo."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


@pytest.fixture(scope="module")
def tls_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleCentral, Path]]:
    with start_tls_console_central(tmp_path_factory.mktemp("tls-console")) as (central, tls):
        yield central, tls.cert_path


@pytest.fixture(scope="module")
def browsers(tls_central: tuple[ConsoleCentral, Path]) -> Iterator[tuple[Browser, Browser]]:
    """(a Chromium that pins the central's key, one that does not)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (Debian package chromium)")
    pin = f"--ignore-certificate-errors-spki-list={spki_pin(tls_central[1])}"
    with sync_playwright() as playwright:
        launch = playwright.chromium.launch
        pinned = launch(executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, pin])
        plain = launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield pinned, plain
        finally:
            pinned.close()
            plain.close()


def test_an_operator_signs_in_over_https_with_a_secure_cookie(
    tls_central: tuple[ConsoleCentral, Path], browsers: tuple[Browser, Browser]
) -> None:
    central, _ = tls_central
    assert central.url.startswith("https://")
    name = central.add_operator("admin")
    context = browsers[0].new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{central.url}/")
        expect(page).to_have_url(f"{central.url}/console/login?next=/console/")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")

        expect(page).to_have_url(f"{central.url}/console/")
        expect(page.locator(".who")).to_contain_text(name)
        cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
        assert cookie["secure"] is True
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"

        page.goto(f"{central.url}/console/enrollments")  # an admin's page, the cookie carried
        expect(page).to_have_url(f"{central.url}/console/enrollments")
        page.click("form[action='/console/logout'] button[type=submit]")
        expect(page).to_have_url(f"{central.url}/console/login")
        page.goto(f"{central.url}/console/enrollments")
        expect(page).to_have_url(f"{central.url}/console/login?next=/console/enrollments")
    finally:
        context.close()
    assert ("login", "", "ok") in central.audit(name)


def test_a_browser_without_the_key_is_refused(
    tls_central: tuple[ConsoleCentral, Path], browsers: tuple[Browser, Browser]
) -> None:
    central, _ = tls_central
    context = browsers[1].new_context(locale="en-GB")
    try:
        with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
            context.new_page().goto(f"{central.url}/console/login")
    finally:
        context.close()

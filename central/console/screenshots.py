"""`python -m central screenshots --out DIR`: a PNG of each console page, for the README.

A temporary central server (SQLite in a temporary folder) is started with the demo fleet, and
Debian's Chromium, driven by Playwright, signs in and photographs each page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

from playwright.sync_api import Page, ViewportSize, sync_playwright

from central.console import demo
from central.console.browser import launch_chromium
from central.db import sqlite_url
from central.process import start_central

_VIEWPORT: Final[ViewportSize] = {"width": 1360, "height": 860}
_PAGES: Final = (
    ("overview", "/console/"),
    ("overview-offline", "/console/?status=offline"),
    ("kiosk-detail", "/console/kiosks/schaerbeek-hall-01"),
    ("kiosk-offline", "/console/kiosks/ixelles-hall-01"),
    ("alerts", "/console/alerts"),
    ("config", "/console/config"),
    ("enrollments", "/console/enrollments"),
    ("records", "/console/records"),
    ("audit", "/console/audit"),
    ("kiosk-config", "/console/kiosks/schaerbeek-hall-01/config"),
    ("register-lookups", "/console/register-lookups"),
)


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.fill("#name", demo.DEMO_ADMIN)
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console/")


def write_screenshots(out: Path, *, language: str = "en") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="borne-console-") as folder:
        db_path = Path(folder) / "central.sqlite3"
        with start_central(db_path=db_path) as server:
            demo.seed(base_url=server.url, db_url=sqlite_url(db_path))
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    context = browser.new_context(viewport=_VIEWPORT, locale=language)
                    page = context.new_page()
                    page.goto(f"{server.url}/console/login")
                    written.append(_shot(page, out, "login"))
                    _sign_in(page, server.url)
                    for name, path in _PAGES:
                        page.goto(f"{server.url}{path}")
                        written.append(_shot(page, out, name))
                finally:
                    browser.close()
    return written


def _shot(page: Page, out: Path, name: str) -> Path:
    target = out / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target

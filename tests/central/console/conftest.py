"""A real central server with the console, operator accounts made by the real CLI, and Chromium."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, sync_playwright

from central.__main__ import main as central_cli
from central.console.browser import CHROMIUM, launch_chromium
from central.db import create_engine
from central.process import RunningCentral, start_central
from devstack.demo_pki import CentralTls, ensure_central_tls
from offline_queue.client import CentralClient, SoftwareKioskKey
from offline_queue.wire import EnrollmentState
from tests.central.databases import database_url

PASSWORD = "a-long-test-password"


@dataclass(frozen=True, slots=True)
class ConsoleCentral:
    server: RunningCentral
    db_url: str
    folder: Path

    @property
    def url(self) -> str:
        return self.server.url

    def cli(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        """`python -m central …` run in this process (the same code, without the start-up)."""
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = central_cli(list(args))
        finally:
            sys.stdin = saved
        return status, out.getvalue(), err.getvalue()

    def add_operator(self, role: str, *, password: str = PASSWORD) -> str:
        name = f"{role}-{uuid.uuid4().hex[:6]}"
        status, _, err = self.cli(
            "operators", "--db", self.db_url, "add", "--role", role, name, stdin=password + "\n"
        )
        assert status == 0, err
        return name

    def enrollment_code(self) -> str:
        status, out, err = self.cli("kiosks", "--db", self.db_url, "code")
        assert status == 0, err
        return out.strip()

    def pending_kiosk(self) -> CentralClient:
        """A kiosk that enrolled itself over HTTP with a fresh key and code."""
        kiosk_id = f"kiosk-{uuid.uuid4().hex[:8]}"
        key = SoftwareKioskKey.load_or_create(self.folder / f"{kiosk_id}.key.pem")
        client = CentralClient(base_url=self.url, kiosk_id=kiosk_id, key=key, timeout=10.0)
        assert client.enroll(self.enrollment_code()) is EnrollmentState.PENDING
        return client

    def enrollment_state(self, kiosk_id: str) -> str:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                state = connection.execute(
                    sa.text("SELECT state FROM kiosk_identities WHERE kiosk_id = :k"),
                    {"k": kiosk_id},
                ).scalar_one()
        finally:
            engine.dispose()
        return str(state)

    def audit(self, operator: str) -> list[tuple[str, str, str]]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT action, target, outcome FROM console_audit"
                        " WHERE operator = :o ORDER BY seq"
                    ),
                    {"o": operator},
                ).all()
        finally:
            engine.dispose()
        return [(r[0], r[1], r[2]) for r in rows]


def start_console_central(
    backend: str, folder: Path, *, env: dict[str, str] | None = None
) -> Iterator[ConsoleCentral]:
    url = database_url(backend, folder)
    child_env = {**os.environ, **(env or {})}
    with start_central(db_url=url, log_path=folder / "central.log", env=child_env) as server:
        yield ConsoleCentral(server=server, db_url=url, folder=folder)


@contextlib.contextmanager
def start_tls_console_central(folder: Path) -> Iterator[tuple[ConsoleCentral, CentralTls]]:
    """A SQLite-backed server over HTTPS with the TEST central CA's certificate, and that PKI."""
    tls = ensure_central_tls(folder / "pki")
    url = database_url("sqlite", folder)
    with start_central(
        db_url=url, log_path=folder / "central.log", tls=(tls.cert_path, tls.key_path)
    ) as server:
        yield ConsoleCentral(server=server, db_url=url, folder=folder), tls


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleCentral]:
    """One SQLite-backed server per module; tests isolate themselves with unique names."""
    yield from start_console_central("sqlite", tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (Debian package chromium)")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()

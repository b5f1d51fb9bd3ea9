"""Fixtures of the sync tests: a REAL central server process on loopback, outboxes, clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN
from offline_queue.client import CentralClient, KioskKey
from offline_queue.outbox import Outbox
from offline_queue.wire import RecordPage
from tests.central.databases import BACKENDS, database_url
from tests.central.kiosks import citizen_roots, enroll_key


class FakeClock:
    """Epoch seconds that only move when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite3", clock=clock) as box:
        yield box


@pytest.fixture(scope="session", params=BACKENDS)
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCentral]:
    """One central server per database back-end; tests isolate themselves with unique kiosk ids."""
    folder = tmp_path_factory.mktemp(f"central-{request.param}")
    url = database_url(str(request.param), folder)
    with start_central(
        db_url=url, log_path=folder / "central.log", citizen_roots=citizen_roots()
    ) as server:
        yield server
        assert server.running, "the central server died during the tests"


@pytest.fixture
def kiosk_id() -> str:
    return f"kiosk-{uuid.uuid4().hex[:12]}"


def make_client(
    server: RunningCentral, kiosk_id: str, *, key: KioskKey | None = None, url: str | None = None
) -> CentralClient:
    """A client of `kiosk_id` signing in with its own key (enrolled and accepted unless given);
    `url`: another server on the same database."""
    return CentralClient(
        base_url=url or server.url,
        kiosk_id=kiosk_id,
        key=key or enroll_key(server, kiosk_id),
        timeout=5.0,
    )


@pytest.fixture
def client(central: RunningCentral, kiosk_id: str) -> Iterator[CentralClient]:
    with make_client(central, kiosk_id) as c:
        yield c


def list_records(url: str, kiosk_id: str) -> RecordPage:
    """The records the server holds for one kiosk, through the operator API."""
    with requests.Session() as session:
        response = session.get(
            f"{url}/api/v1/records",
            params={"kiosk_id": kiosk_id, "limit": "1000"},
            headers={"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"},
            timeout=5.0,
        )
    response.raise_for_status()
    return RecordPage.model_validate_json(response.content)

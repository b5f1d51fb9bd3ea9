"""REAL central server processes: two on one PostgreSQL, and a broken database answered cleanly."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN
from offline_queue.wire import (
    ErrorBody,
    Heartbeat,
    IssuanceRecord,
    KioskList,
    RecordBatch,
    RecordPage,
)
from tests.central.databases import database_url
from tests.central.kiosks import enroll_key
from tests.sync.conftest import make_client
from tests.sync.factories import issuance_record

pytestmark = pytest.mark.central

_OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[RunningCentral, RunningCentral]]:
    url = database_url("postgresql", tmp_path)
    with (
        start_central(db_url=url, log_path=tmp_path / "a.log") as first,
        start_central(db_url=url, log_path=tmp_path / "b.log") as second,
    ):
        yield first, second
        assert first.running
        assert second.running


def _all_records(url: str) -> list[IssuanceRecord]:
    records: list[IssuanceRecord] = []
    after = 0
    with requests.Session() as http:
        while True:
            response = http.get(
                f"{url}/api/v1/records",
                params={"after": str(after), "limit": "7"},
                headers=_OPERATOR,
                timeout=10,
            )
            response.raise_for_status()
            page = RecordPage.model_validate_json(response.content)
            records.extend(stored.record for stored in page.records)
            if page.next_after is None:
                return records
            after = page.next_after


def test_two_servers_on_one_postgresql_store_every_record_exactly_once(
    two_servers: tuple[RunningCentral, RunningCentral],
) -> None:
    servers = [s.url for s in two_servers]
    kiosks = [f"kiosk-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    sent: list[IssuanceRecord] = []
    accepted: list[str] = []
    lock = threading.Lock()

    def kiosk_life(index: int, kiosk_id: str) -> None:
        key = enroll_key(two_servers[index % 2], kiosk_id)
        clients = [make_client(two_servers[0], kiosk_id, key=key, url=url) for url in servers]
        try:
            for round_number in range(6):
                records = tuple(issuance_record(kiosk_id=kiosk_id) for _ in range(3))
                batch = RecordBatch(
                    batch_id=f"b-{uuid.uuid4().hex[:8]}", kiosk_id=kiosk_id, records=records
                )
                # the kiosk alternates between the servers, and resends each batch to the other
                # one, as after a lost answer behind a load balancer
                first = clients[(index + round_number) % 2]
                other = clients[(index + round_number + 1) % 2]
                acks = [first.post_records(batch), other.post_records(batch)]
                with lock:
                    sent.extend(records)
                    accepted.extend(op for ack in acks for op in ack.accepted)
        finally:
            for client in clients:
                client.close()

    threads = [
        threading.Thread(target=kiosk_life, args=(n, kiosk_id)) for n, kiosk_id in enumerate(kiosks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = sorted(r.operation_id for r in sent)
    assert sorted(accepted) == expected
    for url in servers:
        stored = _all_records(url)
        assert sorted(r.operation_id for r in stored) == expected


def test_a_kiosk_list_is_the_same_through_either_server(
    two_servers: tuple[RunningCentral, RunningCentral],
) -> None:
    first, second = two_servers
    kiosks = sorted(f"kiosk-{uuid.uuid4().hex[:8]}" for _ in range(3))
    for n, kiosk_id in enumerate(kiosks):
        with make_client((first, second)[n % 2], kiosk_id) as client:
            client.heartbeat(
                Heartbeat(kiosk_id=kiosk_id, version="1.0", sent_at=datetime.now(tz=UTC))
            )
    for server in two_servers:
        response = requests.get(
            f"{server.url}/api/v1/kiosks", params={"limit": "2"}, headers=_OPERATOR, timeout=10
        )
        page = KioskList.model_validate_json(response.content)
        assert [k.kiosk_id for k in page.kiosks] == kiosks[:2]
        assert page.next_after == kiosks[1]


def _break_database(backend: str, url: str) -> None:
    if backend == "sqlite":
        # garbage over the file, its write-ahead log and the log's index, as a failing disk would
        database = Path(sa.make_url(url).database or "")
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            if path.exists():
                size = max(path.stat().st_size, 4096)
                with path.open("r+b") as file:
                    file.write((b"not a database " * (size // 15 + 1))[:size])
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE kiosks")
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_broken_database_is_reported_by_healthz_and_answered_with_503(
    tmp_path: Path, backend: str
) -> None:
    url = database_url(backend, tmp_path)
    with start_central(db_url=url, log_path=tmp_path / "central.log") as server:
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200

        _break_database(backend, url)

        health = requests.get(f"{server.url}/healthz", timeout=10)
        listing = requests.get(f"{server.url}/api/v1/kiosks", headers=_OPERATOR, timeout=10)
        for response in (health, listing):
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/json"
            assert ErrorBody.model_validate_json(response.content).code == "store.unavailable"
        assert server.running

"""The central server's API, through the REAL server process on loopback."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from central.errors import CentralStartError
from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN, DEMO_REGISTER_PATH
from offline_queue.client import CentralClient
from offline_queue.errors import NotInRegister
from offline_queue.wire import ErrorBody, Heartbeat, KioskList, RecordBatch, RecordPage
from tests.central.kiosks import citizen_proof, kiosk_token
from tests.sync.factories import issuance_record

pytestmark = pytest.mark.central

_REGISTER = json.loads(DEMO_REGISTER_PATH.read_text(encoding="utf-8"))
_PEOPLE = [
    (member["national_number"], household["id"])
    for household in _REGISTER["households"]
    for member in household["members"]
]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}


@pytest.mark.parametrize(("national_number", "household_id"), _PEOPLE)
def test_register_extract_for_every_demo_resident(
    client: CentralClient, national_number: str, household_id: str
) -> None:
    extract = client.register_extract(national_number, citizen_proof(client, national_number))
    assert extract.household_id == household_id
    assert national_number in {m.national_number for m in extract.members}
    raw = next(h for h in _REGISTER["households"] if h["id"] == household_id)
    assert extract.address.street == raw["address"]["street"]
    for member in extract.members:
        raw_member = next(
            m for m in raw["members"] if m["national_number"] == member.national_number
        )
        starts = [p.start.isoformat() for p in member.address_history]
        assert starts == [p["from"] for p in raw_member["address_history"]]
        assert all(p.start >= member.birth_date for p in member.address_history)


def test_unknown_resident_is_not_in_register(client: CentralClient) -> None:
    with pytest.raises(NotInRegister) as caught:
        client.register_extract("00010100155", citizen_proof(client, "00010100155"))
    assert caught.value.status == 404
    assert caught.value.code == "register.not_found"
    assert caught.value.params["national_number"] == "***********"


def test_invalid_requests_do_not_echo_the_national_number(
    central: RunningCentral, http: requests.Session, kiosk_id: str
) -> None:
    response = http.post(
        f"{central.url}/api/v1/register/extract",
        json={"schema_version": 1, "national_number": "85031412401", "surname": "x"},
        headers={"Authorization": f"Bearer {kiosk_token(central, kiosk_id)}"},
        timeout=5,
    )
    assert response.status_code == 422
    assert ErrorBody.model_validate_json(response.content).code == "request.invalid"
    assert "85031412401" not in response.text


def test_missing_or_wrong_tokens_are_refused(
    central: RunningCentral, http: requests.Session
) -> None:
    url = f"{central.url}/api/v1/records"
    assert http.get(url, timeout=5).status_code == 401
    # the fleet's former shared token opens nothing: every kiosk signs in with its own key
    kiosk = http.get(url, headers={"Authorization": "Bearer demo-kiosk-token"}, timeout=5)
    assert kiosk.status_code == 401
    assert ErrorBody.model_validate_json(kiosk.content).code == "auth.invalid_token"


def test_records_list_pages(
    client: CentralClient, central: RunningCentral, http: requests.Session, kiosk_id: str
) -> None:
    records = tuple(issuance_record(kiosk_id=kiosk_id) for _ in range(5))
    client.post_records(RecordBatch(batch_id="b", kiosk_id=kiosk_id, records=records))
    seen: list[str] = []
    after = 0
    while True:
        response = http.get(
            f"{central.url}/api/v1/records",
            params={"kiosk_id": kiosk_id, "limit": "2", "after": str(after)},
            headers=_operator(),
            timeout=5,
        )
        page = RecordPage.model_validate_json(response.content)
        seen += [s.record.operation_id for s in page.records]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [r.operation_id for r in records]


def test_heartbeat_is_listed_per_kiosk(
    client: CentralClient, central: RunningCentral, http: requests.Session, kiosk_id: str
) -> None:
    for backlog in (3, 0):
        ack = client.heartbeat(
            Heartbeat(
                kiosk_id=kiosk_id,
                version="0.1.0",
                sent_at=datetime.now(tz=UTC),
                devices={"card_reader": "ready", "printer": "error"},
                outbox_backlog=backlog,
            )
        )
        assert ack.next_poll_seconds >= 1
    response = http.get(f"{central.url}/api/v1/kiosks", headers=_operator(), timeout=5)
    kiosks = {k.kiosk_id: k for k in KioskList.model_validate_json(response.content).kiosks}
    assert kiosks[kiosk_id].heartbeat.outbox_backlog == 0
    assert kiosks[kiosk_id].heartbeat.devices["printer"] == "error"


def test_verify_page_tells_whether_a_document_was_issued(
    client: CentralClient, central: RunningCentral, http: requests.Session, kiosk_id: str
) -> None:
    record = issuance_record(kiosk_id=kiosk_id, document_ids=("DOC-2026-000123-A",))
    client.post_records(RecordBatch(batch_id="b", kiosk_id=kiosk_id, records=(record,)))

    found = http.get(f"{central.url}/verify/DOC-2026-000123-A", timeout=5)
    assert found.status_code == 200
    assert found.headers["content-type"].startswith("text/html")
    assert found.text.count('data-verdict="issued"') == 4
    for lang in ("fr", "nl", "de", "en"):
        assert f'lang="{lang}"' in found.text
    assert kiosk_id in found.text
    assert "2026-11-23 11:30" in found.text  # 10:30 UTC, shown in Brussels time
    assert found.text.count("<dd>Démo-sur-Meuse</dd>") == 4  # the demo register's commune
    assert "residence_certificate" in found.text  # a type without a name is shown as it is

    missing = http.get(f"{central.url}/verify/DOC-<script>", timeout=5)
    assert missing.status_code == 404
    assert missing.text.count('data-verdict="not-found"') == 4
    assert "<script>" not in missing.text


def test_health(central: RunningCentral, http: requests.Session) -> None:
    response = http.get(f"{central.url}/healthz", timeout=5)
    assert response.json() == {"status": "ok", "schema_version": 1}


def test_server_logs_are_json_without_national_numbers(
    client: CentralClient, central: RunningCentral
) -> None:
    for national_number, _ in _PEOPLE:
        client.register_extract(national_number, citizen_proof(client, national_number))
    with pytest.raises(NotInRegister):
        client.register_extract("00010100155", citizen_proof(client, "00010100155"))
    lines = central.log_path.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert any(e.get("msg") == "register lookup" for e in entries)
    text = "\n".join(lines)
    for national_number, _ in [*_PEOPLE, ("00010100155", "")]:
        assert national_number not in text


def test_start_failure_reports_the_log_tail(tmp_path: Path) -> None:
    with pytest.raises(CentralStartError) as caught:
        start_central(db_path=tmp_path / "c.sqlite3", register_path=tmp_path / "missing.json")
    assert "missing.json" in caught.value.log_tail


def test_ready_line_describes_the_process(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    with start_central(db_path=db) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.pid > 0
        response = requests.get(f"{server.url}/healthz", timeout=5)
        assert response.status_code == 200
    assert not server.running
    # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status.
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in server.log_path.read_text(encoding="utf-8")
    assert db.exists()


def test_answers_are_not_held_back_by_nagle(
    central: RunningCentral, http: requests.Session
) -> None:
    """A round trip on loopback takes about a millisecond, not the 40 ms of a delayed ACK."""
    timings = []
    for _ in range(9):
        started = time.perf_counter()
        http.get(f"{central.url}/healthz", timeout=5).raise_for_status()
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[4] < 0.030


def test_seal_verification_needs_a_configured_municipal_root(
    central: RunningCentral, http: requests.Session
) -> None:
    response = http.post(
        f"{central.url}/api/v1/verify",
        data=b"%PDF-1.7 not sealed",
        headers={"Content-Type": "application/pdf"},
        timeout=5,
    )
    assert response.status_code == 503
    assert ErrorBody.model_validate(response.json()).code == "not_configured"

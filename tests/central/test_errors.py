"""Bad input against the REAL central server: limits before reading, JSON errors, no personal data."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests

from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN
from offline_queue.wire import MAX_ERROR_FIELDS, ErrorBody
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central

NATIONAL_NUMBER = "85031412401"
_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCentral]:
    folder = tmp_path_factory.mktemp("errors")
    with start_central(db_path=folder / "central.sqlite3", max_body_bytes=_LIMIT) as running:
        yield running


@pytest.fixture(scope="module")
def kiosk(server: RunningCentral) -> dict[str, str]:
    """The authorization of an enrolled kiosk (its own short-lived token)."""
    return {"Authorization": f"Bearer {kiosk_token(server, 'k-personal')}"}


def _error(response: requests.Response, status: int, code: str) -> ErrorBody:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    body = ErrorBody.model_validate_json(response.content)
    assert body.code == code
    return body


def _raw_exchange(url: str, head: bytes) -> bytes:
    """Send only a request head (no body) and read the answer the server gives at once."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def test_a_large_body_without_a_token_is_refused_before_it_is_sent(server: RunningCentral) -> None:
    head = (
        b"POST /api/v1/records HTTP/1.1\r\nHost: central\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n"
    )
    answer = _raw_exchange(server.url, head)
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_a_declared_large_body_with_the_token_is_refused_with_413(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    head = (
        b"POST /api/v1/records HTTP/1.1\r\nHost: central\r\nContent-Type: application/json\r\n"
        + b"Authorization: "
        + kiosk["Authorization"].encode()
        + b"\r\nContent-Length: 52428800\r\n\r\n"
    )
    answer = _raw_exchange(server.url, head)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_sent_without_length_is_cut_at_the_limit(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"batch_id": "b", "kiosk_id": "k", "records": ['
        for _ in range(2 * _LIMIT // 1024):
            yield b" " * 1024
        yield b"]}"

    response = requests.post(
        f"{server.url}/api/v1/records", data=chunks(), headers=kiosk, timeout=10
    )
    _error(response, 413, "request.too_large")


def test_many_field_errors_are_listed_structured_and_truncated(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    records = [{"operation_id": "", "kiosk_id": "k"} for _ in range(100)]
    response = requests.post(
        f"{server.url}/api/v1/records",
        json={"batch_id": "b", "kiosk_id": "k", "records": records},
        headers=kiosk,
        timeout=10,
    )
    body = _error(response, 422, "request.invalid")
    assert len(body.fields) == MAX_ERROR_FIELDS
    assert body.fields_omitted > 0
    assert len(body.message) <= 500
    assert any(f.loc.startswith("body.records.0.") for f in body.fields), body.fields


def test_a_national_number_as_a_map_key_is_neither_stored_nor_echoed(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    hb = {
        "kiosk_id": "k-personal",
        "version": "1",
        "sent_at": datetime.now(tz=UTC).isoformat(),
        "devices": {NATIONAL_NUMBER: "ok"},
    }
    accepted_shape = requests.post(
        f"{server.url}/api/v1/heartbeat", json=hb, headers=kiosk, timeout=10
    )
    _error(accepted_shape, 422, "request.personal_data")
    hb["devices"] = {NATIONAL_NUMBER: "Not A Token!"}
    invalid = requests.post(f"{server.url}/api/v1/heartbeat", json=hb, headers=kiosk, timeout=10)
    body = _error(invalid, 422, "request.invalid")
    assert [f.loc for f in body.fields] == ["body.devices.*"]

    for response in (accepted_shape, invalid):
        assert NATIONAL_NUMBER not in response.text
    kiosks = requests.get(
        f"{server.url}/api/v1/kiosks",
        headers={"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"},
        timeout=10,
    )
    assert NATIONAL_NUMBER not in kiosks.text
    assert NATIONAL_NUMBER not in server.log_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/page", 404, "not_found"),
        ("DELETE", "/api/v1/heartbeat", 405, "request.invalid"),
        ("POST", "/api/v1/heartbeat", 401, "auth.invalid_token"),
        ("GET", "/api/v1/kiosks", 401, "auth.invalid_token"),
    ],
)
def test_every_error_is_a_json_error_body(
    server: RunningCentral, method: str, path: str, status: int, code: str
) -> None:
    response = requests.request(method, f"{server.url}{path}", timeout=10)
    _error(response, status, code)


def test_a_malformed_json_body_is_a_json_error(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    response = requests.post(
        f"{server.url}/api/v1/heartbeat",
        data=b"{not json",
        headers={**kiosk, "Content-Type": "application/json"},
        timeout=10,
    )
    _error(response, 422, "request.invalid")


def _access_lines(server: RunningCentral, path: str) -> list[dict[str, object]]:
    entries = [
        json.loads(line)
        for line in server.log_path.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    return [e for e in entries if e.get("logger") == "uvicorn.access" and path in str(e["msg"])]


def test_successful_heartbeats_are_not_access_logged_and_their_errors_are(
    server: RunningCentral, kiosk: dict[str, str]
) -> None:
    hb = {"kiosk_id": "k-personal", "version": "1", "sent_at": datetime.now(tz=UTC).isoformat()}
    before = len(_access_lines(server, "/api/v1/heartbeat"))
    for _ in range(3):
        ok = requests.post(f"{server.url}/api/v1/heartbeat", json=hb, headers=kiosk, timeout=10)
        assert ok.status_code == 200, ok.text[:300]
    other = requests.post(
        f"{server.url}/api/v1/heartbeat",
        json={**hb, "kiosk_id": "k-someone-else"},
        headers=kiosk,
        timeout=10,
    )
    _error(other, 403, "auth.forbidden")
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200

    heartbeats = _access_lines(server, "/api/v1/heartbeat")[before:]
    assert [str(e["msg"]).rsplit(" ", 1)[-1] for e in heartbeats] == ["403"]
    assert _access_lines(server, "/healthz"), "other calls keep their access line"

"""The console without JavaScript (plain HTTP, httpx) against real central servers: the fleet
table with its filters and server-side paging on SQLite and PostgreSQL, cookies, CSRF refusals,
login rate limiting, logout, and the Secure cookie over TLS."""

from __future__ import annotations

import re
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from central.process import start_central
from central.store import SqlCentralStore
from offline_queue.wire import Heartbeat, RecordBatch
from tests.central.console.conftest import PASSWORD, ConsoleCentral, start_console_central
from tests.central.databases import BACKENDS
from tests.central.kiosks import kiosk_token
from tests.central.test_tls import _pki
from tests.sync.factories import issuance_record

pytestmark = pytest.mark.central

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _client(central: ConsoleCentral) -> httpx.Client:
    return httpx.Client(
        base_url=central.url, headers={"Accept-Language": "en"}, follow_redirects=False
    )


def _sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/console/login")
    assert form.status_code == 200
    return client.post(
        "/console/login",
        data={"csrf": _csrf(form.text), "name": name, "password": password, "next": "/console/"},
    )


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-kiosk="([^"]+)" data-status="([a-z]+)">', html)


@pytest.fixture(scope="module", params=BACKENDS)
def any_central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleCentral]:
    yield from start_console_central(str(request.param), tmp_path_factory.mktemp("console-db"))


def test_the_fleet_table_renders_filters_and_pages_without_javascript(
    any_central: ConsoleCentral,
) -> None:
    central = any_central
    prefix = f"fleet-{uuid.uuid4().hex[:6]}"
    # two kiosks report over the API right now; 55 more reported minutes ago (offline)
    for n, version in ((0, "2.0.0"), (1, "2.1.0")):
        token = kiosk_token(central.server, f"{prefix}-a{n}")
        answer = httpx.post(
            f"{central.url}/api/v1/heartbeat",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            content=Heartbeat(
                kiosk_id=f"{prefix}-a{n}", version=version, sent_at=datetime.now(tz=UTC)
            ).model_dump_json(),
        )
        assert answer.status_code == 200, answer.text
    store = SqlCentralStore(central.db_url)
    try:
        long_ago = datetime.now(tz=UTC) - timedelta(minutes=20)
        for n in range(55):
            store.record_heartbeat(
                Heartbeat(kiosk_id=f"{prefix}-b{n:02d}", version="1.9.0", sent_at=long_ago),
                received_at=long_ago,
            )
    finally:
        store.close()

    with _client(central) as client:
        assert _sign_in(client, central.add_operator("viewer")).status_code == 303
        first = client.get("/console/")
        assert first.status_code == 200
        rows = _rows(first.text)
        assert len(rows) == 50
        assert rows[0] == (f"{prefix}-a0", "online")
        assert "Page 1 of 2 · 57 kiosks" in first.text
        assert "Offline: check the kiosk&#39;s power and network cable" in first.text

        second = client.get("/console/", params={"page": 2})
        assert len(_rows(second.text)) == 7
        assert "Page 2 of 2" in second.text

        online = client.get("/console/", params={"status": "online"})
        assert _rows(online.text) == [(f"{prefix}-a0", "online"), (f"{prefix}-a1", "online")]

        offline = client.get("/console/", params={"status": "offline", "page": 2})
        assert {status for _, status in _rows(offline.text)} == {"offline"}
        assert "55 kiosks" in offline.text

        by_version = client.get("/console/", params={"version": "2.1.0"})
        assert _rows(by_version.text) == [(f"{prefix}-a1", "online")]
        assert '<option value="1.9.0"' in by_version.text


def test_the_session_cookie_is_httponly_and_samesite_strict(central: ConsoleCentral) -> None:
    with _client(central) as client:
        answer = _sign_in(client, central.add_operator("viewer"))
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "borne_console_session=" in cookie
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "secure" not in cookie  # plain HTTP on loopback here; see the TLS test


def test_a_post_without_the_csrf_token_is_refused(central: ConsoleCentral) -> None:
    kiosk = central.pending_kiosk()
    name = central.add_operator("admin")
    with _client(central) as client:
        assert _sign_in(client, name).status_code == 303
        for form in ({}, {"csrf": "forged-token"}):
            answer = client.post(f"/console/enrollments/{kiosk.kiosk_id}/accept", data=form)
            assert answer.status_code == 403
            assert "This form has expired or did not come from the console." in answer.text
        assert central.enrollment_state(kiosk.kiosk_id) == "pending"
        assert ("enrollment_accept", "", "csrf_refused") in central.audit(name)

        # with the token of the page it works
        page = client.get("/console/enrollments")
        answer = client.post(
            f"/console/enrollments/{kiosk.kiosk_id}/accept", data={"csrf": _csrf(page.text)}
        )
        assert answer.status_code == 303
        assert central.enrollment_state(kiosk.kiosk_id) == "accepted"


def test_the_login_form_needs_its_csrf_token(central: ConsoleCentral) -> None:
    name = central.add_operator("viewer")
    with _client(central) as client:
        answer = client.post("/console/login", data={"name": name, "password": PASSWORD})
        assert answer.status_code == 403
        assert "borne_console_session" not in answer.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_lock_the_name_for_a_while(central: ConsoleCentral) -> None:
    name = central.add_operator("operator")
    with _client(central) as client:
        for _ in range(5):
            assert _sign_in(client, name, password="wrong-password!").status_code == 401
        locked = _sign_in(client, name)  # the right password, too late
        assert locked.status_code == 429
        assert "Too many failed attempts" in locked.text
        assert "borne_console_session" not in locked.headers.get("set-cookie", "")
    outcomes = [outcome for action, _, outcome in central.audit(name) if action == "login"]
    assert outcomes == ["refused"] * 5 + ["throttled"]


def test_signing_out_ends_the_session(central: ConsoleCentral) -> None:
    with _client(central) as client:
        assert _sign_in(client, central.add_operator("viewer")).status_code == 303
        page = client.get("/console/records")
        assert page.status_code == 200
        out = client.post("/console/logout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 303
        again = client.get("/console/records")
        assert again.status_code == 303
        assert again.headers["location"] == "/console/login?next=/console/records"


def test_only_an_admin_reads_the_audit(central: ConsoleCentral) -> None:
    with _client(central) as client:
        assert _sign_in(client, central.add_operator("operator")).status_code == 303
        assert client.get("/console/audit").status_code == 403
    admin = central.add_operator("admin")
    with _client(central) as client:
        assert _sign_in(client, admin).status_code == 303
        audit = client.get("/console/audit")
        assert audit.status_code == 200
        assert f"<td>{admin}</td><td>login</td>" in audit.text


def test_the_session_cookie_is_secure_over_tls(tmp_path: Path) -> None:
    ca, cert, key = _pki(tmp_path)
    with start_central(db_path=tmp_path / "central.sqlite3", tls=(cert, key)) as server:
        central = ConsoleCentral(
            server=server, db_url=f"sqlite:///{tmp_path / 'central.sqlite3'}", folder=tmp_path
        )
        name = central.add_operator("viewer")
        trust = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=server.url, verify=trust) as client:
            answer = _sign_in(client, name)
        assert answer.status_code == 303
        assert "secure" in answer.headers["set-cookie"].lower()


def test_records_are_listed_newest_first_for_a_kiosk(central: ConsoleCentral) -> None:
    kiosk_id = f"rec-{uuid.uuid4().hex[:6]}"
    records = tuple(
        issuance_record(kiosk_id=kiosk_id, operation_id=f"op-{kiosk_id}-{n}") for n in range(3)
    )
    token = kiosk_token(central.server, kiosk_id)
    answer = httpx.post(
        f"{central.url}/api/v1/records",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
        content=RecordBatch(
            batch_id=f"b-{kiosk_id}", kiosk_id=kiosk_id, records=records
        ).model_dump_json(),
    )
    assert answer.status_code == 200, answer.text
    with _client(central) as client:
        assert _sign_in(client, central.add_operator("viewer")).status_code == 303
        page = client.get("/console/records", params={"kiosk": kiosk_id})
    assert page.status_code == 200
    listed = re.findall(
        r"<td>(\d+)</td>\s*<td>[^<]*</td>\s*<td><a href=\"/console/kiosks/([^\"]+)\"", page.text
    )
    assert [kiosk for _, kiosk in listed] == [kiosk_id] * 3
    sequence = [int(seq) for seq, _ in listed]
    assert sequence == sorted(sequence, reverse=True)
    assert "5.00 €" in page.text
    assert "residence_certificate" in page.text

"""The fleet's JSON API through REAL central server processes (SQLite and PostgreSQL) and a REAL
SMTP server: offline seen by the central itself and mailed, commands to an offline kiosk executed
once, configuration with ETag / 304 and refusal, reconciliation, the operator audit."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from central.fleet.texts import text
from central.process import RunningCentral, start_central
from central.settings import DEMO_OPERATOR_TOKEN
from kiosk.staff_auth import CodeHash
from offline_queue.wire import (
    CommandKind,
    CommandOutcome,
    CommandResult,
    ConfigReport,
    ErrorBody,
    Heartbeat,
    HeartbeatAck,
    KioskConfigDocument,
    PaymentStatus,
    RecordBatch,
    contains_national_number,
)
from tests.central.databases import BACKENDS, database_url
from tests.central.fleet.conftest import (
    Mailbox,
    heartbeat,
    record,
    running_mailbox,
    valid_settings,
)
from tests.central.kiosks import kiosk_token

pytestmark = pytest.mark.central

OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}
OFFLINE_AFTER_S = 2.0


def fleet_env(mailbox: Mailbox) -> dict[str, str]:
    return {
        **os.environ,
        "BORNE_CENTRAL_OFFLINE_AFTER_S": str(OFFLINE_AFTER_S),
        "BORNE_CENTRAL_SWEEP_INTERVAL_S": "0.2",
        "BORNE_CENTRAL_SMTP": f"{mailbox.host}:{mailbox.port}",
        "BORNE_CENTRAL_ALERT_MAIL": "*=ops@commune.example;offline=it@commune.example",
    }


@dataclass(frozen=True, slots=True)
class Api:
    server: RunningCentral
    http: requests.Session
    tokens: dict[str, str] = field(default_factory=dict)
    """Each test kiosk's own token: enrolled with its key the first time it speaks."""

    @property
    def url(self) -> str:
        return self.server.url

    def as_kiosk(self, kiosk_id: str) -> dict[str, str]:
        if kiosk_id not in self.tokens:
            self.tokens[kiosk_id] = kiosk_token(self.server, kiosk_id)
        return {
            "Authorization": f"Bearer {self.tokens[kiosk_id]}",
            "Content-Type": "application/json",
        }

    def send_heartbeat(self, hb: Heartbeat) -> HeartbeatAck:
        response = self.http.post(
            f"{self.url}/api/v1/heartbeat",
            data=hb.model_dump_json(),
            headers=self.as_kiosk(hb.kiosk_id),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return HeartbeatAck.model_validate_json(response.content)

    def kiosk(
        self,
        kiosk_id: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: str = "",
    ) -> requests.Response:
        sent = {**self.as_kiosk(kiosk_id), **(headers or {})}
        return self.http.request(
            method, f"{self.url}{path}", headers=sent, data=data or None, timeout=10
        )

    def operator(self, method: str, path: str, **kwargs: object) -> requests.Response:
        headers = {**OPERATOR, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def alerts(self, kiosk_id: str) -> list[dict[str, object]]:
        response = self.operator("GET", "/api/v1/alerts", params={"kiosk_id": kiosk_id})
        assert response.status_code == 200, response.text
        alerts: list[dict[str, object]] = response.json()["alerts"]
        return alerts


@pytest.fixture(scope="module")
def module_mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    module_mailbox: Mailbox,
) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp(f"fleet-{request.param}")
    url = database_url(str(request.param), folder)
    env = fleet_env(module_mailbox)
    with (
        start_central(db_url=url, log_path=folder / "central.log", env=env) as server,
        requests.Session() as http,
    ):
        yield Api(server=server, http=http)
        assert server.running


@pytest.fixture
def kiosk_id() -> str:
    return f"kiosk-{uuid.uuid4().hex[:10]}"


def _now() -> float:
    return datetime.now(tz=UTC).timestamp()


def test_a_silent_kiosk_is_seen_offline_by_the_central_mailed_and_resolved_when_back(
    api: Api, module_mailbox: Mailbox, kiosk_id: str
) -> None:
    ack = api.send_heartbeat(heartbeat(kiosk_id, at=_now()))
    assert ack.next_poll_seconds == 30

    module_mailbox.wait_for(lambda ms: any(kiosk_id in str(m["Subject"]) for m in ms))
    [message] = [m for m in module_mailbox.messages if kiosk_id in str(m["Subject"])]
    assert str(message["Subject"]).endswith(
        f"{kiosk_id}: {text('fleet.alert.offline.title', 'fr')}"
    )
    assert set(str(message["To"]).split(", ")) == {"it@commune.example", "ops@commune.example"}
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    for language in ("fr", "nl", "en"):
        assert text("fleet.alert.offline.action", language) in body
    worded = body.splitlines()  # the detail in words, under each language's title
    assert any(re.fullmatch(r"sans nouvelles depuis \d+ s", line) for line in worded)
    assert any(re.fullmatch(r"silent for \d+ s", line) for line in worded)
    assert f"kiosk: {kiosk_id}" in body
    assert not contains_national_number(body)
    [alert] = api.alerts(kiosk_id)
    assert (alert["kind"], alert["state"]) == ("offline", "open")
    overview = api.operator("GET", "/api/v1/fleet/kiosks", params={"online": "false"}).json()
    assert kiosk_id in [k["kiosk_id"] for k in overview["kiosks"]]
    acked = api.operator("POST", f"/api/v1/alerts/{alert['alert_id']}/acknowledge")
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "operator"
    api.send_heartbeat(heartbeat(kiosk_id, at=_now()))
    assert [a["state"] for a in api.alerts(kiosk_id)] == ["resolved"]
    timeline = api.operator("GET", f"/api/v1/kiosks/{kiosk_id}/timeline").json()["events"]
    assert [e["kind"] for e in reversed(timeline)] == [
        "first_seen",
        "offline",
        "alert_opened",
        "alert_acknowledged",
        "online",
        "alert_resolved",
    ]


def test_a_command_queued_for_an_offline_kiosk_is_delivered_then_its_result_stored_once(
    api: Api, kiosk_id: str
) -> None:
    queued = api.operator(
        "POST", f"/api/v1/kiosks/{kiosk_id}/commands", json={"kind": "print_test_page"}
    )
    assert queued.status_code == 201, queued.text
    command_id = queued.json()["command"]["command_id"]
    ack = api.send_heartbeat(heartbeat(kiosk_id, at=_now()))
    assert [(c.command_id, c.kind) for c in ack.commands] == [
        (command_id, CommandKind.PRINT_TEST_PAGE)
    ]
    result = CommandResult(
        command_id=command_id,
        kiosk_id=kiosk_id,
        outcome=CommandOutcome.DONE,
        finished_at=datetime.now(tz=UTC),
        detail="test page printed",
    )
    path = f"/api/v1/commands/{command_id}/result"
    first = api.kiosk(kiosk_id, "POST", path, data=result.model_dump_json())
    second = api.kiosk(kiosk_id, "POST", path, data=result.model_dump_json())
    assert (first.status_code, first.json()) == (200, {"stored": True})
    assert (second.status_code, second.json()) == (200, {"stored": False})
    other = result.model_copy(update={"detail": "something else"})
    assert api.kiosk(kiosk_id, "POST", path, data=other.model_dump_json()).status_code == 409
    stranger = result.model_copy(update={"kiosk_id": "kiosk-stranger"})
    refused = api.kiosk(kiosk_id, "POST", path, data=stranger.model_dump_json())
    assert refused.status_code == 403
    assert ErrorBody.model_validate_json(refused.content).code == "auth.forbidden"
    assert api.send_heartbeat(heartbeat(kiosk_id, at=_now())).commands == ()
    [view] = api.operator("GET", f"/api/v1/kiosks/{kiosk_id}/commands").json()["commands"]
    assert (view["state"], view["result"]["detail"]) == ("done", "test page printed")


def test_the_maintenance_code_is_shown_once_and_the_kiosk_gets_only_its_hash(
    api: Api, kiosk_id: str
) -> None:
    queued = api.operator(
        "POST",
        f"/api/v1/kiosks/{kiosk_id}/commands",
        json={"kind": "issue_maintenance_code"},
    ).json()
    code = queued["maintenance_code"]
    assert len(code) == 8
    [command] = api.send_heartbeat(heartbeat(kiosk_id, at=_now())).commands
    assert code not in json.dumps(command.model_dump(mode="json"))
    assert CodeHash.parse(command.arguments["code_hash"]).matches(code)
    expires = datetime.fromisoformat(command.arguments["expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(tz=UTC) <= timedelta(hours=1)
    view = api.operator("GET", f"/api/v1/commands/{command.command_id}")
    assert code not in view.text


def test_unauthenticated_or_wrong_role_calls_are_refused_before_the_body(
    api: Api, kiosk_id: str
) -> None:
    path = f"/api/v1/kiosks/{kiosk_id}/commands"
    assert (
        api.http.post(f"{api.url}{path}", json={"kind": "sync_now"}, timeout=10).status_code == 401
    )
    assert api.kiosk(kiosk_id, "POST", path, data='{"kind": "sync_now"}').status_code == 401
    assert api.operator("GET", f"/api/v1/kiosks/{kiosk_id}/config").status_code == 401
    big = {"settings": {"commune": {"name": "x" * 200_000}}}
    assert api.operator("PUT", f"/api/v1/kiosks/{kiosk_id}/config", json=big).status_code == 413


def test_configuration_is_served_with_an_etag_and_a_refusal_is_reported(
    api: Api, kiosk_id: str
) -> None:
    default = {"settings": valid_settings()}
    assert api.operator("PUT", "/api/v1/config", json=default).status_code == 200
    override = {"settings": {"prices": {"household": 300}}}
    saved = api.operator("PUT", f"/api/v1/kiosks/{kiosk_id}/config", json=override)
    assert (saved.status_code, saved.json()["revision"]) == (200, 1)
    served = api.kiosk(kiosk_id, "GET", f"/api/v1/kiosks/{kiosk_id}/config")
    assert served.status_code == 200
    document = KioskConfigDocument.model_validate_json(served.content)
    assert document.settings["prices"] == {**valid_settings()["prices"], "household": 300}  # type: ignore[dict-item]
    assert served.headers["ETag"] == f'"{document.etag}"'
    again = api.kiosk(
        kiosk_id,
        "GET",
        f"/api/v1/kiosks/{kiosk_id}/config",
        headers={"If-None-Match": served.headers["ETag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert api.send_heartbeat(heartbeat(kiosk_id, at=_now())).config_etag == document.etag
    bad = api.operator(
        "PUT", f"/api/v1/kiosks/{kiosk_id}/config", json={"settings": {"prices": {"life": -5}}}
    )
    assert bad.status_code == 422
    assert "prices.life" in ErrorBody.model_validate_json(bad.content).message
    report = ConfigReport(
        kiosk_id=kiosk_id, etag=document.etag, applied=False, reason="languages: 'xx' unknown"
    )
    posted = api.kiosk(
        kiosk_id, "POST", f"/api/v1/kiosks/{kiosk_id}/config/report", data=report.model_dump_json()
    )
    assert posted.status_code == 204
    [alert] = api.alerts(kiosk_id)
    assert (alert["kind"], alert["state"]) == ("config_refused", "open")
    events = api.operator("GET", f"/api/v1/kiosks/{kiosk_id}/timeline").json()["events"]
    assert (events[1]["kind"], events[1]["detail"]) == ("config_refused", "languages: 'xx' unknown")
    applied = report.model_copy(update={"applied": True, "reason": ""})
    api.kiosk(
        kiosk_id, "POST", f"/api/v1/kiosks/{kiosk_id}/config/report", data=applied.model_dump_json()
    )
    assert [a["state"] for a in api.alerts(kiosk_id)] == ["resolved"]
    audit = api.operator("GET", "/api/v1/audit/operators", params={"limit": "500"}).json()
    mine = [e for e in audit["entries"] if e["target"] == kiosk_id]
    assert [(e["actor"], e["action"], e["detail"]) for e in mine] == [
        ("operator", "config.put", "sections: prices")
    ]


def test_the_days_reconciliation_compares_records_with_the_terminals_end_of_day(
    api: Api, kiosk_id: str
) -> None:
    local = datetime.now(tz=ZoneInfo("Europe/Brussels")).replace(hour=11)
    records = (
        record(kiosk_id, amount_cents=250, occurred_at=local),
        record(kiosk_id, amount_cents=300, occurred_at=local),
        record(
            kiosk_id,
            payment_status=PaymentStatus.UNKNOWN,
            outcome="payment_unknown",
            occurred_at=local,
        ),
    )
    batch = RecordBatch(batch_id=f"b-{uuid.uuid4().hex[:8]}", kiosk_id=kiosk_id, records=records)
    assert (
        api.kiosk(kiosk_id, "POST", "/api/v1/records", data=batch.model_dump_json()).status_code
        == 200
    )
    [review] = api.alerts(kiosk_id)
    assert review["kind"] == "manual_review_payment"
    queued = api.operator(
        "POST", f"/api/v1/kiosks/{kiosk_id}/commands", json={"kind": "end_of_day"}
    )
    command_id = queued.json()["command"]["command_id"]
    end = CommandResult(
        command_id=command_id,
        kiosk_id=kiosk_id,
        outcome=CommandOutcome.DONE,
        finished_at=local.replace(hour=18),
        detail=json.dumps({"count": 2, "total_cents": 500}),
    )
    api.kiosk(kiosk_id, "POST", f"/api/v1/commands/{command_id}/result", data=end.model_dump_json())
    day = api.operator(
        "GET", f"/api/v1/kiosks/{kiosk_id}/reconciliation", params={"day": local.date().isoformat()}
    ).json()
    assert (day["payments_approved"], day["net_cents"], day["documents_issued"]) == (2, 550, 3)
    assert day["terminal"]["total_cents"] == 500
    codes = {d["code"]: d for d in day["differences"]}
    assert codes["amount_mismatch"]["detail"] == "kiosk=550 terminal=500"
    assert codes["payment_unknown"]["operation_ids"] == [records[2].operation_id]
    assert day["balanced"] is False
    # a day the central cannot hold is the operator's mistake, not the server's
    for far in ("0001-01-02", "9999-12-31", "2026-02-31"):
        refused = api.operator(
            "GET", f"/api/v1/kiosks/{kiosk_id}/reconciliation", params={"day": far}
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "request.invalid"), far


def test_two_servers_on_one_postgresql_raise_one_offline_alert_and_one_mail(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    url = database_url("postgresql", tmp_path)
    env = fleet_env(mailbox)
    first_kiosk, later_kiosk = (f"kiosk-{uuid.uuid4().hex[:8]}" for _ in range(2))
    with (
        start_central(db_url=url, log_path=tmp_path / "a.log", env=env) as a,
        start_central(db_url=url, log_path=tmp_path / "b.log", env=env) as b,
        requests.Session() as http,
    ):
        servers: tuple[RunningCentral, RunningCentral] = (a, b)
        tokens: dict[str, str] = {}  # a kiosk's token is good at either server
        for index in range(4):
            Api(server=servers[index % 2], http=http, tokens=tokens).send_heartbeat(
                heartbeat(first_kiosk, at=_now())
            )
        mailbox.wait_for(lambda ms: any(first_kiosk in str(m["Subject"]) for m in ms))
        # Both servers keep sweeping; a later kiosk's alert shows they swept past the first's.
        Api(server=b, http=http, tokens=tokens).send_heartbeat(heartbeat(later_kiosk, at=_now()))
        mailbox.wait_for(lambda ms: any(later_kiosk in str(m["Subject"]) for m in ms))
        assert [first_kiosk in s for s in mailbox.subjects()].count(True) == 1
        assert len(Api(server=a, http=http, tokens=tokens).alerts(first_kiosk)) == 1

"""The staff audit through the REAL central server over HTTPS (the kiosk pins the TEST CA): a good
chain from the kiosk's own staff login and sync service is accepted; a changed, removed or
replayed event opens the `audit_chain_broken` alert once, however often the kiosk sends again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from central.identity import IdentityStore
from central.process import RunningCentral, start_central
from central.store import SqlCentralStore
from devstack.demo_pki import ensure_central_tls
from hardware.runner import DeviceRunner
from kiosk.adapters.sync import SyncService
from kiosk.staff_audit import StaffAuditLog
from kiosk.staff_auth import StaffAuthenticator, hash_code
from offline_queue.client import CentralClient, SoftwareKioskKey, signed_auth_request
from offline_queue.wire import AuthToken, EnrollmentState, StaffAuditBatch, StaffAuditEvent
from offline_queue.wire_staff import event_hash

pytestmark = pytest.mark.central

OPERATOR = {"Authorization": "Bearer demo-operator-token"}
CODE = "482913"


@dataclass
class Central:
    server: RunningCentral
    ca: Path
    folder: Path

    def operator(self, method: str, path: str, **params: Any) -> Any:
        response = requests.request(
            method,
            self.server.url + path,
            params=params or None,
            headers=OPERATOR,
            timeout=10,
            verify=str(self.ca),
        )
        response.raise_for_status()
        return response.json()

    def chain_alerts(self, kiosk_id: str) -> list[dict[str, Any]]:
        page = self.operator("GET", "/api/v1/alerts", kiosk_id=kiosk_id, kind="audit_chain_broken")
        return list(page["alerts"])

    def enrolled_key(self, kiosk_id: str) -> Path:
        """A key file of `kiosk_id`, enrolled over the API and accepted on the database."""
        path = self.folder / kiosk_id / "kiosk.key"
        key = SoftwareKioskKey.load_or_create(path)
        assert self.server.db_url is not None
        store = SqlCentralStore(self.server.db_url, migrate=False)
        try:
            identities = IdentityStore(store.engine)
            with self.client(kiosk_id, key) as client:
                assert client.enroll(identities.new_enrollment_code()) is EnrollmentState.PENDING
            identities.decide(kiosk_id, EnrollmentState.ACCEPTED)
        finally:
            store.close()
        return path

    def client(self, kiosk_id: str, key: SoftwareKioskKey) -> CentralClient:
        return CentralClient(
            base_url=self.server.url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=self.ca
        )


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp("staff-audit")
    tls = ensure_central_tls(folder / "pki")
    with start_central(
        db_path=folder / "central.sqlite3", tls=(tls.cert_path, tls.key_path)
    ) as server:
        yield Central(server=server, ca=tls.ca_cert_path, folder=folder)


def _kiosk_id() -> str:
    return f"kiosk-{uuid.uuid4().hex[:8]}"


def _events(folder: Path, kiosk_id: str, count: int) -> list[StaffAuditEvent]:
    """`count` chained events made by the kiosk's own log (not sent anywhere)."""
    log = StaffAuditLog(folder / f"{kiosk_id}.sqlite", kiosk_id=kiosk_id)
    for index in range(count):
        log.record(
            actor="code-5a5a5a5a5a5a",
            role="technician",
            action="alerts_acknowledged",
            detail={"alerts": str(index)},
        )
    events = list(log.events())
    log.close()
    return events


def _send(central: Central, kiosk_id: str, key: Path, events: list[StaffAuditEvent]) -> Any:
    with central.client(kiosk_id, SoftwareKioskKey.load_or_create(key)) as client:
        return client.post_staff_audit(StaffAuditBatch(kiosk_id=kiosk_id, events=tuple(events)))


def test_the_staff_actions_of_a_kiosk_reach_the_central_as_an_intact_chain(
    central: Central, tmp_path: Path
) -> None:
    kiosk_id = _kiosk_id()
    key = central.enrolled_key(kiosk_id)
    runner = DeviceRunner("sync")
    runner.start()
    sync = SyncService(
        runner=runner,
        base_url=central.server.url,
        kiosk_id=kiosk_id,
        token="",
        outbox_path=tmp_path / "outbox.sqlite",
        timeout_s=10.0,
        key_file=key,
        ca_file=central.ca,
    )
    sync.start().result(timeout=30)
    audit = StaffAuditLog(
        tmp_path / "staff_audit.sqlite", kiosk_id=kiosk_id, queue=sync.queue_staff_event
    )
    try:
        staff = StaffAuthenticator(code_hash=None, used_file=None, clock=lambda: 0.0, audit=audit)
        staff.install_code(hash_code(CODE), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
        staff.login("000000")
        staff.login(CODE)
        staff.record_action("alerts_acknowledged")
        # each event is handed to the outbox on the sync thread; this delivery runs after them
        sync.deliver_now().result(timeout=30)
        assert sync.pending().result(timeout=30) == 0
        assert len(audit.events()) == 5
    finally:
        runner.stop(close=sync.close)
        audit.close()
    page = central.operator("GET", f"/api/v1/kiosks/{kiosk_id}/staff-audit")
    assert page["chain_ok"] is True
    assert page["breaks"] == []
    actions = [e["action"] for e in reversed(page["events"])]
    assert actions == [
        "maintenance_code_installed",
        "login_refused",
        "login_accepted",
        "maintenance_code_used",
        "alerts_acknowledged",
    ]
    assert [e["seq"] for e in reversed(page["events"])] == [1, 2, 3, 4, 5]
    assert CODE not in str(page)
    assert central.chain_alerts(kiosk_id) == []


def test_a_changed_event_opens_the_alert_once_however_often_it_is_sent(
    central: Central, tmp_path: Path
) -> None:
    kiosk_id = _kiosk_id()
    key = central.enrolled_key(kiosk_id)
    events = _events(tmp_path, kiosk_id, 4)
    assert _send(central, kiosk_id, key, events[:2]).chain_ok is True
    changed = events[2].model_copy(update={"detail": {"alerts": "0"}})
    tampered = [changed, events[3]]
    first = _send(central, kiosk_id, key, tampered)
    assert (first.accepted, first.chain_ok) == ((3, 4), False)
    again = _send(central, kiosk_id, key, tampered)  # the kiosk did not get the answer: again
    assert (again.duplicates, again.chain_ok) == ((3, 4), False)
    alerts = central.chain_alerts(kiosk_id)
    assert [(a["state"], a["detail"]) for a in alerts] == [("open", "seq=4 wrong_previous_hash")]
    assert alerts[0]["action_key"] == "fleet.alert.audit_chain_broken.action"

    # resolved by an operator, the same break sent again does not open it again
    central.operator("POST", f"/api/v1/alerts/{alerts[0]['alert_id']}/resolve")
    _send(central, kiosk_id, key, tampered)
    assert [a["state"] for a in central.chain_alerts(kiosk_id)] == ["resolved"]
    page = central.operator("GET", f"/api/v1/kiosks/{kiosk_id}/staff-audit")
    assert (page["chain_ok"], page["breaks"]) == (False, [[4, "wrong_previous_hash"]])


def test_a_removed_event_is_a_gap_and_a_replayed_one_a_conflict(
    central: Central, tmp_path: Path
) -> None:
    removed_from = _kiosk_id()
    key = central.enrolled_key(removed_from)
    events = _events(tmp_path, removed_from, 4)
    answer = _send(central, removed_from, key, [events[0], events[1], events[3]])
    assert (answer.accepted, answer.chain_ok) == ((1, 2, 4), False)
    assert [a["detail"] for a in central.chain_alerts(removed_from)] == ["seq=4 sequence_gap"]

    replayed_at = _kiosk_id()
    key = central.enrolled_key(replayed_at)
    events = _events(tmp_path, replayed_at, 2)
    assert _send(central, replayed_at, key, events).chain_ok is True
    other = events[1].model_copy(update={"action": "exit_to_system"})
    assert event_hash(other) != event_hash(events[1])
    for _ in range(2):
        answer = _send(central, replayed_at, key, [other])
        assert (answer.conflicts, answer.chain_ok) == ((2,), False)
    assert [a["detail"] for a in central.chain_alerts(replayed_at)] == ["seq=2 replayed_seq"]
    page = central.operator("GET", f"/api/v1/kiosks/{replayed_at}/staff-audit")
    assert page["events"][0]["action"] == "alerts_acknowledged"  # the first one stays


def test_a_kiosk_speaks_only_for_its_own_staff_audit(central: Central, tmp_path: Path) -> None:
    caller = _kiosk_id()
    key = SoftwareKioskKey.load_or_create(central.enrolled_key(caller))
    token = requests.post(
        central.server.url + "/api/v1/auth/token",
        data=signed_auth_request(key, kiosk_id=caller).model_dump_json(),
        headers={"Content-Type": "application/json"},
        timeout=10,
        verify=str(central.ca),
    )
    token.raise_for_status()
    other = _kiosk_id()
    response = requests.post(
        central.server.url + "/api/v1/staff-audit",
        data=StaffAuditBatch(
            kiosk_id=other, events=tuple(_events(tmp_path, other, 1))
        ).model_dump_json(),
        headers={
            "Authorization": f"Bearer {AuthToken.model_validate_json(token.content).token}",
            "Content-Type": "application/json",
        },
        timeout=10,
        verify=str(central.ca),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"
    assert central.operator("GET", f"/api/v1/kiosks/{other}/staff-audit")["events"] == []

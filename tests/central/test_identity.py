"""Kiosk identity through REAL central servers: enrollment, signed tokens, impersonation, replay."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from central.__main__ import main as central_cli
from central.process import RunningCentral, start_central
from offline_queue.client import CentralClient, SoftwareKioskKey, signed_auth_request
from offline_queue.errors import CentralRejected, CentralUnauthorized
from offline_queue.wire import AuthToken, EnrollmentState, ErrorBody, Heartbeat, RecordBatch
from tests.central.databases import BACKENDS, database_url
from tests.sync.factories import issuance_record

pytestmark = pytest.mark.central

_FORMER_SHARED_TOKEN = "demo-kiosk-token"


@dataclass(frozen=True, slots=True)
class Central:
    server: RunningCentral
    db_url: str

    def kiosks(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m central kiosks …` (in this process: the same code, without the start-up)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = central_cli(["kiosks", "--db", self.db_url, *args])
        return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())

    def code(self) -> str:
        done = self.kiosks("code")
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module", params=BACKENDS)
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    """One server per back-end for this module; tests isolate themselves with unique kiosk ids."""
    folder = tmp_path_factory.mktemp(f"identity-{request.param}")
    url = database_url(str(request.param), folder)
    with start_central(db_url=url, log_path=folder / "central.log") as server:
        yield Central(server=server, db_url=url)


def _kiosk(central_url: str, tmp_path: Path, kiosk_id: str | None = None) -> CentralClient:
    kiosk = kiosk_id or f"kiosk-{uuid.uuid4().hex[:8]}"
    key = SoftwareKioskKey.load_or_create(tmp_path / f"{kiosk}.key.pem")
    return CentralClient(base_url=central_url, kiosk_id=kiosk, key=key, timeout=10.0)


def _enrolled(central: Central, tmp_path: Path) -> CentralClient:
    client = _kiosk(central.server.url, tmp_path)
    assert client.enroll(central.code()) is EnrollmentState.PENDING
    assert central.kiosks("accept", client.kiosk_id).returncode == 0
    return client


def _heartbeat(kiosk_id: str) -> Heartbeat:
    return Heartbeat(kiosk_id=kiosk_id, version="1.0", sent_at=datetime.now(tz=UTC))


def _batch(kiosk_id: str, **kwargs: object) -> RecordBatch:
    record = issuance_record(kiosk_id=kiosk_id, **kwargs)  # type: ignore[arg-type]
    return RecordBatch(batch_id=f"b-{uuid.uuid4().hex[:8]}", kiosk_id=kiosk_id, records=(record,))


def test_a_pending_kiosk_gets_no_token_until_accepted(central: Central, tmp_path: Path) -> None:
    client = _kiosk(central.server.url, tmp_path)
    assert client.enroll(central.code()) is EnrollmentState.PENDING

    listed = central.kiosks("pending")
    assert client.kiosk_id in listed.stdout
    with pytest.raises(CentralUnauthorized):
        client.heartbeat(_heartbeat(client.kiosk_id))

    assert central.kiosks("accept", client.kiosk_id).returncode == 0
    assert client.heartbeat(_heartbeat(client.kiosk_id)).next_poll_seconds > 0
    assert client.post_records(_batch(client.kiosk_id)).accepted
    assert client.kiosk_id not in central.kiosks("pending").stdout


def test_a_rejected_kiosk_gets_no_token(central: Central, tmp_path: Path) -> None:
    client = _kiosk(central.server.url, tmp_path)
    client.enroll(central.code())
    assert central.kiosks("reject", client.kiosk_id).returncode == 0
    assert central.kiosks("accept", client.kiosk_id).returncode != 0
    with pytest.raises(CentralUnauthorized):
        client.heartbeat(_heartbeat(client.kiosk_id))


def test_a_revoked_kiosk_can_no_longer_sign_in(central: Central, tmp_path: Path) -> None:
    client = _enrolled(central, tmp_path)
    client.heartbeat(_heartbeat(client.kiosk_id))
    assert central.kiosks("revoke", client.kiosk_id).returncode == 0

    fresh = CentralClient(
        base_url=central.server.url,
        kiosk_id=client.kiosk_id,
        key=SoftwareKioskKey.load_or_create(tmp_path / f"{client.kiosk_id}.key.pem"),
        timeout=10.0,
    )
    with pytest.raises(CentralUnauthorized):
        fresh.heartbeat(_heartbeat(client.kiosk_id))


def test_an_enrollment_code_is_used_once_and_must_exist(central: Central, tmp_path: Path) -> None:
    code = central.code()
    _kiosk(central.server.url, tmp_path).enroll(code)
    with pytest.raises(CentralUnauthorized):
        _kiosk(central.server.url, tmp_path).enroll(code)
    with pytest.raises(CentralUnauthorized):
        _kiosk(central.server.url, tmp_path).enroll("not-a-code-at-all")


def test_a_kiosk_id_cannot_be_enrolled_again_with_another_key(
    central: Central, tmp_path: Path
) -> None:
    first = _enrolled(central, tmp_path)
    thief = _kiosk(central.server.url, tmp_path / "thief", kiosk_id=first.kiosk_id)
    with pytest.raises(CentralRejected) as refused:
        thief.enroll(central.code())
    assert refused.value.status == 409


def test_a_kiosk_cannot_speak_for_another(central: Central, tmp_path: Path) -> None:
    mallory = _enrolled(central, tmp_path)
    victim = _enrolled(central, tmp_path)

    for call in (
        lambda: mallory.heartbeat(_heartbeat(victim.kiosk_id)),
        lambda: mallory.post_records(_batch(victim.kiosk_id)),
    ):
        with pytest.raises(CentralUnauthorized) as refused:
            call()
        assert refused.value.params["status"] == "403"


def test_a_document_id_held_by_another_kiosk_is_refused(central: Central, tmp_path: Path) -> None:
    first = _enrolled(central, tmp_path)
    second = _enrolled(central, tmp_path)
    document = f"DOC-{uuid.uuid4().hex[:10]}"
    assert first.post_records(_batch(first.kiosk_id, document_ids=(document,))).accepted

    with pytest.raises(CentralRejected) as refused:
        second.post_records(_batch(second.kiosk_id, document_ids=(document,)))
    assert refused.value.status == 409
    assert refused.value.code == "records.document_id_taken"


def _token_answer(url: str, body: str) -> requests.Response:
    return requests.post(
        f"{url}/api/v1/auth/token",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )


def test_a_signed_token_request_is_accepted_once(central: Central, tmp_path: Path) -> None:
    client = _enrolled(central, tmp_path)
    key = SoftwareKioskKey.load_or_create(tmp_path / f"{client.kiosk_id}.key.pem")
    request = signed_auth_request(key, kiosk_id=client.kiosk_id).model_dump_json()

    first = _token_answer(central.server.url, request)
    assert first.status_code == 200
    token = AuthToken.model_validate_json(first.content)
    assert token.expires_at - datetime.now(tz=UTC) <= timedelta(minutes=15)

    replay = _token_answer(central.server.url, request)
    assert replay.status_code == 401
    assert ErrorBody.model_validate_json(replay.content).code == "auth.replayed"


def test_stale_or_forged_token_requests_are_refused(central: Central, tmp_path: Path) -> None:
    client = _enrolled(central, tmp_path)
    key = SoftwareKioskKey.load_or_create(tmp_path / f"{client.kiosk_id}.key.pem")
    stale = signed_auth_request(
        key, kiosk_id=client.kiosk_id, now=datetime.now(tz=UTC) - timedelta(minutes=10)
    )
    assert _token_answer(central.server.url, stale.model_dump_json()).status_code == 401

    other = SoftwareKioskKey.load_or_create(tmp_path / "other.key.pem")
    forged = signed_auth_request(other, kiosk_id=client.kiosk_id)
    assert _token_answer(central.server.url, forged.model_dump_json()).status_code == 401


def test_without_the_shared_token_a_kiosk_must_enroll(central: Central) -> None:
    response = requests.post(
        f"{central.server.url}/api/v1/heartbeat",
        data=_heartbeat("k1").model_dump_json(),
        headers={
            "Authorization": f"Bearer {_FORMER_SHARED_TOKEN}",
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert response.status_code == 401


def test_the_operator_command_lists_pending_kiosks(central: Central, tmp_path: Path) -> None:
    client = _kiosk(central.server.url, tmp_path)
    client.enroll(central.code())
    done = subprocess.run(
        [sys.executable, "-m", "central", "kiosks", "--db", central.db_url, "pending"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (listed,) = [
        entry
        for entry in map(json.loads, done.stdout.splitlines())
        if entry["kiosk_id"] == client.kiosk_id
    ]
    assert listed["kiosk_id"] == client.kiosk_id
    assert listed["state"] == "pending"
    assert len(listed["key_fingerprint"]) == 16


def test_tokens_and_nonces_hold_across_two_servers_on_one_postgresql(tmp_path: Path) -> None:
    url = database_url("postgresql", tmp_path)
    with (
        start_central(db_url=url, log_path=tmp_path / "a.log") as first,
        start_central(db_url=url, log_path=tmp_path / "b.log") as second,
    ):
        central = Central(server=first, db_url=url)
        client = _enrolled(central, tmp_path)
        key = SoftwareKioskKey.load_or_create(tmp_path / f"{client.kiosk_id}.key.pem")

        request = signed_auth_request(key, kiosk_id=client.kiosk_id).model_dump_json()
        assert _token_answer(first.url, request).status_code == 200
        replay = _token_answer(second.url, request)
        assert replay.status_code == 401
        assert ErrorBody.model_validate_json(replay.content).code == "auth.replayed"

        # a token from one server is good at the other (the secret is shared through the DB)
        other_request = signed_auth_request(key, kiosk_id=client.kiosk_id).model_dump_json()
        token = AuthToken.model_validate_json(_token_answer(second.url, other_request).content)
        answer = requests.post(
            f"{first.url}/api/v1/heartbeat",
            data=_heartbeat(client.kiosk_id).model_dump_json(),
            headers={"Authorization": f"Bearer {token.token}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert answer.status_code == 200

"""With enrolled kiosks (no shared token), the kiosk id comes from the credential: a kiosk can
neither answer another kiosk's command nor read or report its configuration (403)."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from central.__main__ import main as central_cli
from central.process import start_central
from central.settings import DEMO_OPERATOR_TOKEN
from offline_queue.client import CentralClient, SoftwareKioskKey, signed_auth_request
from offline_queue.wire import (
    AuthToken,
    CommandOutcome,
    CommandResult,
    ConfigReport,
    EnrollmentState,
)
from tests.central.databases import database_url
from tests.central.fleet.conftest import heartbeat, valid_settings

pytestmark = pytest.mark.central

OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert central_cli(list(args)) == 0
    return out.getvalue().strip()


def _enrolled_token(url: str, db_url: str, folder: Path) -> tuple[str, str]:
    kiosk_id = f"kiosk-{uuid.uuid4().hex[:8]}"
    key = SoftwareKioskKey.load_or_create(folder / f"{kiosk_id}.pem")
    with CentralClient(base_url=url, kiosk_id=kiosk_id, key=key, timeout=10.0) as client:
        assert client.enroll(_cli("kiosks", "--db", db_url, "code")) is EnrollmentState.PENDING
    _cli("kiosks", "--db", db_url, "accept", kiosk_id)
    answer = requests.post(
        f"{url}/api/v1/auth/token",
        data=signed_auth_request(key, kiosk_id=kiosk_id).model_dump_json(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return kiosk_id, AuthToken.model_validate_json(answer.content).token


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[str, str]]:
    db_url = database_url("sqlite", tmp_path)
    env = {**os.environ, "BORNE_CENTRAL_SHARED_KIOSK_TOKEN": "0"}
    with start_central(db_url=db_url, log_path=tmp_path / "central.log", env=env) as server:
        yield server.url, db_url


def test_a_kiosk_cannot_answer_read_or_report_for_another_kiosk(
    central: tuple[str, str], tmp_path: Path
) -> None:
    url, db_url = central
    (alice, alice_token), (bob, bob_token) = (
        _enrolled_token(url, db_url, tmp_path) for _ in range(2)
    )
    as_bob = {"Authorization": f"Bearer {bob_token}", "Content-Type": "application/json"}
    as_alice = {"Authorization": f"Bearer {alice_token}", "Content-Type": "application/json"}
    queued = requests.post(
        f"{url}/api/v1/kiosks/{alice}/commands",
        json={"kind": "sync_now"},
        headers=OPERATOR,
        timeout=10,
    )
    command_id = queued.json()["command"]["command_id"]
    ack = requests.post(
        f"{url}/api/v1/heartbeat",
        data=heartbeat(alice, at=datetime.now(tz=UTC).timestamp()).model_dump_json(),
        headers=as_alice,
        timeout=10,
    )
    assert [c["command_id"] for c in ack.json()["commands"]] == [command_id]
    for claimed in (alice, bob):
        result = CommandResult(
            command_id=command_id,
            kiosk_id=claimed,
            outcome=CommandOutcome.DONE,
            finished_at=datetime.now(tz=UTC),
        )
        posted = requests.post(
            f"{url}/api/v1/commands/{command_id}/result",
            data=result.model_dump_json(),
            headers=as_bob,
            timeout=10,
        )
        assert posted.status_code == 403, claimed
    requests.put(
        f"{url}/api/v1/config",
        json={"settings": valid_settings()},
        headers=OPERATOR,
        timeout=10,
    ).raise_for_status()
    read = requests.get(f"{url}/api/v1/kiosks/{alice}/config", headers=as_bob, timeout=10)
    assert read.status_code == 403
    assert requests.get(f"{url}/api/v1/kiosks/{bob}/config", headers=as_bob, timeout=10).ok
    report = ConfigReport(kiosk_id=alice, etag="x", applied=False, reason="no")
    refused = requests.post(
        f"{url}/api/v1/kiosks/{alice}/config/report",
        data=report.model_dump_json(),
        headers=as_bob,
        timeout=10,
    )
    assert refused.status_code == 403
    done = CommandResult(
        command_id=command_id,
        kiosk_id=alice,
        outcome=CommandOutcome.DONE,
        finished_at=datetime.now(tz=UTC),
    )
    mine = requests.post(
        f"{url}/api/v1/commands/{command_id}/result",
        data=done.model_dump_json(),
        headers=as_alice,
        timeout=10,
    )
    assert (mine.status_code, mine.json()) == (200, {"stored": True})

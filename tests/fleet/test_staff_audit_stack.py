"""The wired kiosk's staff audit reaches the real central: a refused and an accepted staff login
at the kiosk (the authenticator `app.build` wires) are synced with the outbox and listed by the
central as an intact chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from kiosk.staff_auth import LoginResult, hash_code
from tests.journey.conftest import Rig

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
]

CODE = "913572"


def staff_audit(rig: Rig) -> Any:
    kiosk = rig.kiosk
    response = requests.get(
        f"{kiosk.config.central.url}/api/v1/kiosks/{kiosk.config.kiosk_id}/staff-audit",
        headers={"Authorization": "Bearer demo-operator-token"},
        timeout=10,
        verify=str(kiosk.config.central.ca_file),
    )
    response.raise_for_status()
    return response.json()


def test_staff_logins_at_the_kiosk_reach_the_central_as_an_intact_chain(rig: Rig) -> None:
    staff, audit = rig.kiosk.staff, rig.kiosk.staff_audit
    assert staff is not None
    assert audit is not None
    before = len(audit.events())
    staff.install_code(hash_code(CODE), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
    assert staff.login("000000") is LoginResult.REFUSED
    assert staff.login(CODE) is LoginResult.ACCEPTED
    rig.kiosk.sync.deliver_now().result(timeout=30)
    assert rig.kiosk.sync.pending().result(timeout=30) == 0
    page = staff_audit(rig)
    assert page["chain_ok"] is True
    newest = [e["action"] for e in page["events"][:4]]
    assert newest == [
        "maintenance_code_used",
        "login_accepted",
        "login_refused",
        "maintenance_code_installed",
    ]
    assert page["events"][0]["seq"] == before + 4 == len(audit.events())

"""The maintenance mode on the real stack: pcscd + vpcd with two personas, the ZVT simulator on a
pty, SoftHSM2, the private cupsd and the central over loopback.

A staff member's own eID (on the central's allow-list) opens a clerk session through the PIN and
the citizen proof; a resident's card is refused before any PIN is sent, and a cloned copy of an
allowed card fails the citizen proof at the central. A one-time code from the
fleet opens a technician session that runs the diagnostics, prints the test page as a job of the
real cupsd, and puts the kiosk out of and back in service. The clerk reads the kiosk's log lines and
sends them to the central, redacted both ways.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack.register import persona_national_number
from hardware.simulators.eid import load_persona
from kiosk.logs import configure_logging
from kiosk.maintenance.diagnostics import FAILED
from kiosk.maintenance.service import MaintenanceService
from kiosk.maintenance.session import MaintenanceSession
from kiosk.maintenance.staff_card import CardLoginResult
from kiosk.session import SessionState as S
from kiosk.staff_audit import StaffAuditLog
from kiosk.staff_auth import LoginResult, hash_code
from offline_queue.managed_config import StaffMember, StaffRole
from offline_queue.wire_staff import StaffAuditEvent
from tests.journey.conftest import Rig

pytestmark = [pytest.mark.pcsc, pytest.mark.hsm, pytest.mark.central]

STAFF = "jan"
RESIDENT = "marie"
CLONED = "cloned"  # a copy of an allowed staff card whose chip holds no genuine key


@pytest.fixture
def base_config(base_config, var_dir: Path):  # type: ignore[no-untyped-def]
    """The central's allow-list names the staff persona as a clerk."""
    number = persona_national_number(STAFF)
    cloned = persona_national_number(CLONED)
    assert number is not None
    assert cloned is not None
    assert base_config.managed is not None
    managed = replace(
        base_config.managed,
        staff_allow=(
            StaffMember(national_number=number, role=StaffRole.CLERK),
            StaffMember(national_number=cloned, role=StaffRole.TECHNICIAN),
        ),
    )
    staff = replace(base_config.staff, used_codes=var_dir / "data" / "staff-codes-used.json")
    return replace(base_config, managed=managed, staff=staff)


class ChainedAudit:
    """The staff audit events the kiosk recorded in its hash-chained store since `start`."""

    def __init__(self, store: StaffAuditLog) -> None:
        self._store = store
        self._start = len(store.events())

    @property
    def events(self) -> list[StaffAuditEvent]:
        return list(self._store.events()[self._start :])

    def actions(self) -> list[str]:
        return [e.action for e in self.events]

    def text(self) -> str:
        return repr([e.model_dump_json() for e in self.events])


@pytest.fixture
def service(rig: Rig) -> Iterator[tuple[MaintenanceService, ChainedAudit]]:
    factory = rig.kiosk.maintenance
    store = rig.kiosk.staff_audit
    assert factory is not None
    assert store is not None  # the kiosk's staff actions go to the hash-chained audit
    built = factory(rig.controller)
    yield built, ChainedAudit(store)
    built.close()


def _session(service: MaintenanceService) -> MaintenanceSession | None:
    return service.session


def _card_login(rig: Rig, service: MaintenanceService, persona: str) -> CardLoginResult:
    card = rig.stack.card
    assert card is not None, "the real pcscd + vpcd stack is needed"
    rig.stack.remove_card()
    card.swap(persona)
    rig.stack.insert_card()
    pin = bytearray(load_persona(persona).pin.encode())
    login = service.login_card(pin).result(timeout=60)
    assert not any(pin)  # wiped
    service.card_login_done(login)
    return login.result


@pytest.fixture
def kiosk_log(rig: Rig) -> Iterator[Path]:
    """The kiosk's own JSON log file, as `kiosk run` writes it."""
    directory = rig.kiosk.config.logging.directory
    root = logging.getLogger()
    level = root.level
    handlers = configure_logging(directory=directory, level="INFO", console=False)
    yield directory
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_a_staff_card_logs_in_a_resident_card_and_a_cloned_one_are_refused(
    rig: Rig, service: tuple[MaintenanceService, ChainedAudit], kiosk_log: Path
) -> None:
    maintenance, audit = service
    maintenance.hold()
    rig.state(S.OUT_OF_SERVICE)
    assert _card_login(rig, maintenance, RESIDENT) is CardLoginResult.NOT_STAFF
    assert _session(maintenance) is None
    assert _card_login(rig, maintenance, CLONED) is CardLoginResult.PROOF_REFUSED
    assert _session(maintenance) is None
    assert _card_login(rig, maintenance, STAFF) is CardLoginResult.ACCEPTED
    session = _session(maintenance)
    assert session is not None
    assert session.identity.role is StaffRole.CLERK
    staff_number = persona_national_number(STAFF)
    resident_number = persona_national_number(RESIDENT)
    assert staff_number is not None
    assert resident_number is not None
    assert staff_number not in audit.text()
    assert resident_number not in audit.text()
    assert audit.actions() == ["login_refused", "login_refused", "login"]
    refused, cloned, login = audit.events
    assert getattr(refused, "detail", None) == {"method": "eid", "result": "not_staff"}
    assert getattr(cloned, "detail", None) == {"method": "eid", "result": "proof_refused"}
    assert getattr(login, "actor", "").startswith("staff-")
    assert getattr(login, "role", None) == "clerk"
    # the logs: the newest lines on screen and the same sent to the central, both redacted
    shown = maintenance.logs().result(timeout=30).lines
    logins = [line.fields for line in shown if line.event == "staff_card_login"]
    assert len(logins) == 3  # the refused resident, the cloned card, the clerk (newest first)
    assert logins[0].startswith('result="accepted"')
    assert logins[2].startswith('result="not_staff"')
    ack = maintenance.send_logs().result(timeout=60)
    assert ack.stored_chars > 0
    with sqlite3.connect(rig.stack.var_dir / "data" / "central.sqlite") as db:
        kiosk, command, body = db.execute(
            "SELECT kiosk_id, command_id, body FROM log_uploads WHERE upload_id = ?",
            (ack.upload_id,),
        ).fetchone()
    assert (kiosk, command) == (rig.kiosk.config.kiosk_id, None)
    for number in (staff_number, resident_number):
        assert number not in body
        assert number not in repr(shown)
    assert audit.actions()[-2:] == ["logs", "send_logs"]
    rig.stack.remove_card()
    maintenance.close()
    rig.state(S.ATTRACT)


def test_a_code_runs_the_diagnostics_the_test_page_and_the_service_state(
    rig: Rig, service: tuple[MaintenanceService, ChainedAudit]
) -> None:
    maintenance, audit = service
    staff = rig.kiosk.staff
    assert staff is not None
    code = f"{secrets.randbelow(10**8):08d}"
    staff.install_code(hash_code(code), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
    maintenance.hold()
    rig.state(S.OUT_OF_SERVICE)
    assert maintenance.login_code(code) is LoginResult.ACCEPTED
    findings = {f.device: f for f in maintenance.diagnose().result(timeout=60)}
    assert set(findings) == {"card_reader", "payment_terminal", "printer", "seal", "central"}
    for device in ("printer", "seal", "central"):
        assert findings[device].verdict != FAILED, findings[device]
    assert findings["seal"].params["not_after"] != "-"  # the seal certificate's expiry
    assert findings["central"].params["skew"] != "-"  # the central's clock, from its answer
    outcome = maintenance.test_page().result(timeout=120)
    assert outcome.completed, outcome.reason
    assert outcome.job_id > 0  # a job of the private cupsd
    backlog = maintenance.queue().result(timeout=30)
    assert backlog.failed == 0
    maintenance.out_of_service()
    maintenance.close()
    rig.state(S.OUT_OF_SERVICE)
    assert [a.reason for a in rig.controller.alerts] == ["staff_out_of_service"]
    code = f"{secrets.randbelow(10**8):08d}"
    staff.install_code(hash_code(code), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
    maintenance.hold()
    assert maintenance.login_code(code) is LoginResult.ACCEPTED
    maintenance.back_in_service()
    maintenance.close()
    rig.state(S.ATTRACT, timeout=60)
    # The same chain also holds the code check's own events (the fleet's installs, each use).
    code_check = ("maintenance_code_installed", "maintenance_code_used", "login_accepted")
    assert audit.actions().count("maintenance_code_installed") == 2
    assert audit.actions().count("login_accepted") == 2
    assert [a for a in audit.actions() if a not in code_check] == [
        "login",
        "diagnose",
        "test_page",
        "queue",
        "out_of_service",
        "close",
        "login",
        "back_in_service",
        "close",
    ]

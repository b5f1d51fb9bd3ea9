"""Demonstration data for the console's screenshots: a small fleet in various states.

Heartbeats and records go straight into the store (with back-dated arrival times, so some kiosks
are offline); every kiosk enrolls through the running server's enrollment route with its own key,
like a real kiosk, and the fleet's kiosks are accepted (the last ones wait for an operator).
Nothing here is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from central import citizen_proof
from central.console.accounts import OperatorRole, OperatorStore
from central.fleet import FleetService
from central.fleet.config import DEFAULT_SCOPE
from central.identity import IdentityStore
from central.kiosk_logs import LogBook
from central.settings import CentralSettings
from central.store import SqlCentralStore
from offline_queue.wire import (
    DayCounters,
    DeviceHealth,
    EnrollmentRequest,
    EnrollmentState,
    Heartbeat,
    IssuanceRecord,
    LogUpload,
    PaymentStatus,
    RecordBatch,
)

DEMO_ADMIN: Final = "admin"
DEMO_PASSWORD: Final = "demo-console-password"  # noqa: S105 (a public demo value)


@dataclass(frozen=True, slots=True, kw_only=True)
class _DemoKiosk:
    kiosk_id: str
    seen_ago_s: int
    version: str = "1.4.2"
    printer: str = "ok"
    pages_left: int = 420
    terminal: str = "ok"
    mode: str = "in_service"
    documents: int = 14
    backlog_age_s: int | None = None


_FLEET: Final = (
    _DemoKiosk(kiosk_id="anderlecht-hall-01", seen_ago_s=12),
    _DemoKiosk(kiosk_id="anderlecht-hall-02", seen_ago_s=25, pages_left=9, documents=31),
    _DemoKiosk(kiosk_id="ixelles-hall-01", seen_ago_s=3900, documents=6),
    _DemoKiosk(kiosk_id="ixelles-library-01", seen_ago_s=18, version="1.5.0-rc1", documents=3),
    _DemoKiosk(kiosk_id="schaerbeek-hall-01", seen_ago_s=7, terminal="fault", documents=9),
    _DemoKiosk(kiosk_id="schaerbeek-hall-02", seen_ago_s=21, printer="jammed", documents=11),
    _DemoKiosk(kiosk_id="uccle-hall-01", seen_ago_s=15, mode="out_of_service", documents=0),
    _DemoKiosk(kiosk_id="uccle-hall-02", seen_ago_s=29, backlog_age_s=5400, documents=8),
    _DemoKiosk(kiosk_id="woluwe-hall-01", seen_ago_s=240, version="1.4.1", documents=17),
    _DemoKiosk(kiosk_id="woluwe-hall-02", seen_ago_s=9, version="1.4.1", documents=22),
)
_PENDING: Final = ("forest-hall-01", "forest-hall-02", "evere-hall-01")


def _heartbeat(kiosk: _DemoKiosk, now: datetime) -> Heartbeat:
    pages_total = 5000 - kiosk.pages_left
    return Heartbeat(
        kiosk_id=kiosk.kiosk_id,
        version=kiosk.version,
        sent_at=now - timedelta(seconds=kiosk.seen_ago_s),
        devices={"reader": "ok", "printer": kiosk.printer, "terminal": kiosk.terminal},
        outbox_backlog=3 if kiosk.backlog_age_s else 0,
        outbox_oldest_age_s=kiosk.backlog_age_s,
        mode=kiosk.mode,
        config_version="2026-11-28.1",
        catalogue_version="2026.11",
        uptime_s=3 * 3600 + 17 * 60,
        health={
            "reader": DeviceHealth(state="ok"),
            "printer": DeviceHealth(
                state=kiosk.printer,
                paper_level_pct=min(100, kiosk.pages_left * 100 // 500),
                pages_left=kiosk.pages_left,
                pages_printed_total=pages_total,
            ),
            "terminal": DeviceHealth(
                state=kiosk.terminal, last_end_of_day=now - timedelta(hours=15)
            ),
            "signer": DeviceHealth(state="ok", certificate_not_after=now + timedelta(days=400)),
        },
        counters=DayCounters(
            day=date(now.year, now.month, now.day),
            sessions=kiosk.documents + 2,
            documents=kiosk.documents,
            revenue_cents=kiosk.documents * 500,
            payments_approved=kiosk.documents,
        ),
    )


def _record(kiosk_id: str, number: int, now: datetime) -> IssuanceRecord:
    return IssuanceRecord(
        operation_id=f"op-{kiosk_id}-{number:04d}",
        kiosk_id=kiosk_id,
        occurred_at=now - timedelta(minutes=7 * number),
        outcome="issued",
        documents=("residence_certificate",),
        document_ids=(f"DOC-{kiosk_id.upper()}-{number:05d}",),
        amount_cents=500,
        payment_status=PaymentStatus.APPROVED,
    )


def _enroll(base_url: str, identities: IdentityStore, kiosk_id: str) -> None:
    """Enroll `kiosk_id` with a fresh key through the server's route, like a real kiosk."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    request = EnrollmentRequest(
        kiosk_id=kiosk_id,
        public_key_pem=pem.decode(),
        enrollment_code=identities.new_enrollment_code(),
    )
    answer = requests.post(
        f"{base_url}/api/v1/enroll",
        data=request.model_dump_json(),
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    answer.raise_for_status()


def seed(*, base_url: str, db_url: str, now: datetime | None = None) -> None:
    """Fill a fresh central database (served at `base_url`) with the demo fleet."""
    moment = now or datetime.now(tz=UTC)
    store = SqlCentralStore(db_url)
    fleet = FleetService(store.engine, settings=CentralSettings(db_url=db_url))
    try:
        OperatorStore(store.engine).add(DEMO_ADMIN, DEMO_PASSWORD, OperatorRole.ADMIN)
        OperatorStore(store.engine).add("guichet", DEMO_PASSWORD, OperatorRole.VIEWER)
        for kiosk in _FLEET:
            arrived = moment - timedelta(seconds=kiosk.seen_ago_s)
            heartbeat = _heartbeat(kiosk, moment)
            store.record_heartbeat(heartbeat, received_at=arrived)
            fleet.heartbeat(heartbeat, received_at=arrived)
            for number in range(3, 0, -1):
                record = _record(kiosk.kiosk_id, number, arrived)
                store.add_records(
                    RecordBatch(
                        batch_id=f"batch-{kiosk.kiosk_id}-{number}",
                        kiosk_id=kiosk.kiosk_id,
                        records=(record,),
                    ),
                    received_at=record.occurred_at + timedelta(seconds=4),
                )
        identities = IdentityStore(store.engine)
        for kiosk in _FLEET:
            _enroll(base_url, identities, kiosk.kiosk_id)
            identities.decide(kiosk.kiosk_id, EnrollmentState.ACCEPTED)
        for kiosk_id in _PENDING:
            _enroll(base_url, identities, kiosk_id)
        _seed_console_extras(store, fleet, moment)
    finally:
        store.close()


def _seed_console_extras(store: SqlCentralStore, fleet: FleetService, moment: datetime) -> None:
    """A fleet default with one kiosk's own prices, an upload of redacted logs, some lookups."""

    commune = {
        "name": "Démo-sur-Meuse",
        "address": "Place Communale 1, 5999 Démo-sur-Meuse",
        "service": {"fr": "Service Population", "nl": "Dienst Bevolking", "de": "Dienst Bevölkerung"},
        "official_title": {"fr": "L'Officier délégué", "nl": "De gemachtigde ambtenaar", "de": "Der Beauftragte"},
        "kingdom": True,
        "province": {"fr": "Province de Namur", "nl": "Provincie Namen", "de": "Provinz Namur"},
    }  # fmt: skip
    fleet.put_config(
        DEFAULT_SCOPE,
        {"kiosk": {"languages": ["fr", "nl", "de", "en"]}, "prices": {"household": 250}, "commune": commune},
        actor=DEMO_ADMIN,
    )  # fmt: skip
    kiosk = _FLEET[4].kiosk_id
    fleet.put_config(kiosk, {"prices": {"household": 300}}, actor=DEMO_ADMIN)
    text = "".join(
        f'{{"ts": "{moment.isoformat()}", "level": "INFO", "event": "{event}"}}\n'
        for event in ("heartbeat_sent", "payment_declined", "sync_deferred")
    )
    LogBook(fleet).ingest(
        LogUpload(kiosk_id=kiosk, command_id=None, collected_at=moment, lines=3, text=text)
    )
    proofs = citizen_proof.CitizenProofs(store.engine, trust=citizen_proof.citizen_trust(()))
    for number, (kiosk_id, outcome) in enumerate(
        [(k.kiosk_id, "found") for k in _FLEET[:5]]
        + [(_FLEET[1].kiosk_id, "not_found"), (_FLEET[2].kiosk_id, "register.proof_refused")]
        + [(_FLEET[0].kiosk_id, "requests_listed"), (_FLEET[3].kiosk_id, "staff_proof")]
    ):
        proofs.audit(kiosk_id=kiosk_id, national_number=f"8503141240{number}", outcome=outcome)

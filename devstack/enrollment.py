"""The demo kiosk's own identity: its key in `var/`, enrolled and accepted at the demo central.

What an operator does for a real kiosk, done here for the demonstration: make a one-time code
(`python -m central kiosks code`), let the kiosk ask to be enrolled with its key and the code over
HTTPS, accept it (`python -m central kiosks accept ID`), and check that the kiosk can then sign in.
The key is made and kept in the demo's kiosk token (SoftHSM2, `devstack.kiosk_token`), or, where
SoftHSM2 is missing, a software key file (0600) under `var/kiosk/`; no shared token is involved.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from central import db
from central.identity import IdentityStore
from central.store import SqlCentralStore
from offline_queue.client import CentralClient, KioskKey, SoftwareKioskKey
from offline_queue.wire import EnrollmentState, Heartbeat

log = logging.getLogger(__name__)

DEMO_KIOSK_ID = "demo-kiosk-01"


def kiosk_key_path(var_dir: Path) -> Path:
    return var_dir / "kiosk" / "kiosk-key.pem"


def enroll_demo_kiosk(
    *,
    central_url: str,
    db_url: str,
    kiosk_id: str,
    key_path: Path | None = None,
    key: KioskKey | None = None,
    ca_file: Path | None,
) -> None:
    """Enroll and accept `kiosk_id` with `key`, or the key in `key_path` (made, 0600, when absent).

    Idempotent: a kiosk already accepted with this key is left as it is. A kiosk id known with
    another key (its key file was deleted), rejected or revoked, is enrolled afresh.
    """
    if key is None:
        if key_path is None:
            raise ValueError("enroll_demo_kiosk needs a key or a key file")
        key = SoftwareKioskKey.load_or_create(key_path)
    store = SqlCentralStore(db_url)
    try:
        identities = IdentityStore(store.engine)
        state = _state_with_key(
            store.engine, kiosk_id=kiosk_id, public_key_pem=key.public_key_pem()
        )
        with CentralClient(
            base_url=central_url, kiosk_id=kiosk_id, key=key, timeout=10.0, ca_file=ca_file
        ) as client:
            if state is None:
                state = client.enroll(identities.new_enrollment_code())
            if state is not EnrollmentState.ACCEPTED:
                identities.decide(kiosk_id, EnrollmentState.ACCEPTED)
            # signs in with its key and speaks for itself: the enrollment works end to end
            client.heartbeat(Heartbeat(kiosk_id=kiosk_id, version="sim", sent_at=datetime.now(UTC)))
    finally:
        store.close()
    log.info(
        "demo_kiosk_enrolled",
        extra={"kiosk_id": kiosk_id, "key": "token" if key_path is None else str(key_path)},
    )


def _state_with_key(
    engine: sa.Engine, *, kiosk_id: str, public_key_pem: str
) -> EnrollmentState | None:
    """The kiosk's state if it is known with this key and still usable; else forgotten."""
    table = db.kiosk_identities
    with engine.begin() as connection:
        known = connection.execute(
            sa.select(table.c.public_key_pem, table.c.state).where(table.c.kiosk_id == kiosk_id)
        ).first()
        if known is None:
            return None
        usable = known.state in (EnrollmentState.PENDING.value, EnrollmentState.ACCEPTED.value)
        if usable and known.public_key_pem.strip() == public_key_pem.strip():
            return EnrollmentState(known.state)
        # another key (its file was deleted), or refused earlier: enrolled afresh, as after a repair
        connection.execute(sa.delete(table).where(table.c.kiosk_id == kiosk_id))
    log.warning("demo_kiosk_key_replaced", extra={"kiosk_id": kiosk_id})
    return None

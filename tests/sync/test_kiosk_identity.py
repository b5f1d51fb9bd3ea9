"""The kiosk's sync adapter with its own key: enrolls, is accepted, signs in, delivers."""

from __future__ import annotations

import contextlib
import io
import stat
import uuid
from pathlib import Path

import pytest

from central.__main__ import main as central_cli
from central.process import start_central
from hardware.runner import DeviceRunner
from kiosk.adapters.sync import SyncService
from offline_queue.wire import EnrollmentState
from tests.central.databases import database_url

pytestmark = pytest.mark.central


def _kiosks(db_url: str, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert central_cli(["kiosks", "--db", db_url, *args]) == 0
    return out.getvalue().strip()


def test_a_kiosk_enrolls_its_key_and_delivers_once_accepted(tmp_path: Path) -> None:
    db_url = database_url("sqlite", tmp_path)
    kiosk_id = f"kiosk-{uuid.uuid4().hex[:8]}"
    key_file = tmp_path / "kiosk" / "central-key.pem"
    with start_central(db_url=db_url, log_path=tmp_path / "central.log") as central:
        runner = DeviceRunner("sync")
        runner.start()
        sync = SyncService(
            runner=runner,
            base_url=central.url,
            kiosk_id=kiosk_id,
            token="",
            outbox_path=tmp_path / "outbox.sqlite3",
            timeout_s=10.0,
            key_file=key_file,
            enrollment_code=_kiosks(db_url, "code"),
        )
        try:
            sync.start().result(timeout=30)
            assert sync.enrollment is EnrollmentState.PENDING
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
            assert sync.last_heartbeat is None
            sync.send_heartbeat().result(timeout=30)
            assert sync.last_heartbeat is None  # pending: refused

            _kiosks(db_url, "accept", kiosk_id)
            sent = sync.send_heartbeat().result(timeout=30)
            assert sync.last_heartbeat == sent
        finally:
            runner.stop(close=sync.close)

"""Records, logs and keys are the kiosk user's alone: files 0600, folders 0700, set at start-up."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal
from kiosk import app
from kiosk.config import load_config
from offline_queue.outbox import Outbox

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_start_up_makes_records_logs_and_keys_private(tmp_path: Path) -> None:
    shutil.copytree(REPO / "var" / "pki" / "card", tmp_path / "pki" / "card")
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(tmp_path)})
    old = os.umask(0o022)  # as a careless installation would leave it
    try:
        journal = config.payment.journal
        journal.parent.mkdir(parents=True, mode=0o755)
        PaymentJournal(journal).create(reference="op-1", amount_cents=250)
        Outbox(config.central.outbox).close()
        config.logging.directory.mkdir(parents=True, mode=0o755)
        log_file = config.logging.directory / "kiosk.jsonl"
        log_file.write_text("{}\n", encoding="utf-8")
        key = tmp_path / "central-key.pem"
        key.write_text("not a real key", encoding="utf-8")
        config = replace(config, central=replace(config.central, key_file=key))
        assert mode(journal) == 0o644, "the test starts from world-readable files"
        kiosk = app.build(config, token=None, sealer_factory=lambda: pytest.fail("no seal"))
        try:
            kiosk.check_disk()
        finally:
            kiosk.stop()
    finally:
        os.umask(old)
    for folder in (journal.parent, config.logging.directory):
        assert mode(folder) == 0o700, folder
        for path in folder.iterdir():
            assert mode(path) == 0o600, path
            assert path.lstat().st_uid == os.geteuid()
    assert mode(log_file) == 0o600
    assert mode(key) == 0o600

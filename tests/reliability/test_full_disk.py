"""A full disk: the kiosk stops taking orders before a record can be lost, and serves again once
space is back.

`var/data` and `var/log` are small tmpfs mounts in a private mount namespace: the test re-runs this
module under `unshare -m` (root in CI). The journey runs on fake devices; the disk checks, the
outbox (SQLite) and the log file are real and live on the tmpfs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from hardware.runner import DeviceRunner
from kiosk.flows.storage import KEY_STORAGE_FULL, REASON_STORAGE_FULL
from kiosk.logs import configure_logging
from kiosk.session import SessionState
from kiosk.storage import StorageAdapter, StorageGuard
from offline_queue.errors import OutboxError
from offline_queue.outbox import Outbox
from offline_queue.wire import DayCounters
from tests.reliability.harness import StorageRig

S = SessionState
MiB = 1024 * 1024
TMPFS_SIZE = "8m"
MIN_FREE = 2 * MiB
CHILD_TIMEOUT_S = 300


def now(rig: StorageRig) -> SessionState:
    return rig.state


def _fill(directory: Path, *, leave: int) -> Path:
    """Write a filler file until only about `leave` bytes stay free."""
    filler = directory / f"filler-{len(list(directory.glob('filler-*')))}"
    free = shutil.disk_usage(directory).free
    size = max(0, free - leave)
    with filler.open("wb") as handle:
        chunk = b"\xff" * (256 * 1024)
        while size > 0:
            try:
                size -= handle.write(chunk[: min(size, len(chunk))])
            except OSError:
                break
    return filler


def _record(outbox: Outbox, n: int) -> bool:
    return outbox.enqueue(
        operation_id=f"op-{n:04d}", kind="day_counters", payload=DayCounters(day=date(2026, 12, 2))
    )


def scenario(root: Path) -> dict[str, object]:
    data, logs = root / "var" / "data", root / "var" / "log"
    for folder in (data, logs):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(folder)],
            check=True,
        )
    handlers = configure_logging(directory=logs, console=False)
    runner = DeviceRunner("storage")
    runner.start()
    outbox = Outbox(data / "outbox.sqlite")
    try:
        guard = StorageGuard(directories=(data, logs), min_free_bytes=MIN_FREE)
        rig = StorageRig(root, storage=StorageAdapter(runner=runner, guard=guard))
        c = rig.controller

        # 1. room enough: an order is paid and recorded
        rig.to_summary("household")
        c.confirm_summary()
        rig.wait_for(S.TAKE_DOCUMENTS)
        assert rig.fakes.payment.net_charged == 250
        assert _record(outbox, 1)
        rig.finish()
        assert now(rig) is S.ATTRACT

        # 2. the data folder fills up while a resident chooses: no payment is taken
        rig.to_summary("household")
        filler = _fill(data, leave=MIN_FREE // 2)
        c.confirm_summary()
        rig.wait_for(S.ERROR)
        assert c.view.error_key == KEY_STORAGE_FULL
        assert rig.fakes.payment.net_charged == 250, "nothing charged for the refused order"
        assert [a.reason for a in c.alerts] == [REASON_STORAGE_FULL]
        # ... and the margin still takes the records of what was already done
        assert _record(outbox, 2)
        rig.finish()
        assert now(rig) is S.OUT_OF_SERVICE
        c.touch()
        assert now(rig) is S.OUT_OF_SERVICE, "no new resident while the disk is full"

        # 3. what the margin protects: a disk filled to the last byte loses the record
        last = _fill(data, leave=0)
        with_no_room: str
        try:
            _record(outbox, 3)
            with_no_room = "written"
        except OutboxError:
            with_no_room = "refused"
        last.unlink()

        # 4. still full at the next idle check: still out of service
        rig.idle_check()
        assert now(rig) is S.OUT_OF_SERVICE

        # 5. space comes back: in service again by itself, and the next order goes through
        filler.unlink()
        rig.idle_check()
        assert now(rig) is S.ATTRACT
        assert c.alerts == ()
        rig.to_summary("residence")
        c.confirm_summary()
        rig.wait_for(S.TAKE_DOCUMENTS)
        assert rig.fakes.payment.net_charged == 500
        assert _record(outbox, 4)
        rig.finish()
        assert now(rig) is S.ATTRACT

        # 6. the log folder filling up counts too
        log_filler = _fill(logs, leave=MIN_FREE // 2)
        rig.idle_check()
        assert now(rig) is S.OUT_OF_SERVICE
        log_filler.unlink()
        rig.idle_check()
        assert now(rig) is S.ATTRACT
    finally:
        outbox.close()
        runner.stop()
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    log_text = (logs / "kiosk.jsonl").read_text(encoding="utf-8")
    recorded = sorted(_operation_ids(data))
    return {"full_disk_record": with_no_room, "recorded": recorded, "log": log_text}


def _operation_ids(data: Path) -> set[str]:
    with Outbox(data / "outbox.sqlite") as outbox:
        return {
            op for op in ("op-0001", "op-0002", "op-0003", "op-0004") if outbox.get(op) is not None
        }


def test_a_full_disk_stops_orders_before_a_record_is_lost_and_service_resumes(
    tmp_path: Path,
) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: no private mount namespace")
    allowed = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if allowed.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {allowed.stderr.strip()}")
    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            sys.executable,
            "-m",
            "tests.reliability.test_full_disk",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        timeout=CHILD_TIMEOUT_S,
    )
    assert child.returncode == 0, child.stdout + child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["full_disk_record"] == "refused", "a full disk loses records: hence the margin"
    assert result["recorded"] == ["op-0001", "op-0002", "op-0004"]
    events = [json.loads(line) for line in str(result["log"]).splitlines()]
    assert any(e["event"] == "order_refused_storage" and e["state"] == "low_space" for e in events)
    assert any(e["event"] == "storage_low" for e in events)
    assert any(e["event"] == "storage_restored" for e in events)


def _main() -> None:
    outcome = scenario(Path(sys.argv[1]))
    sys.stdout.write(json.dumps(outcome) + "\n")


if __name__ == "__main__":
    _main()

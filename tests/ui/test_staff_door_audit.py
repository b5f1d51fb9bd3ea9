"""The staff door writes the staff audit: each attempt, then the action an accepted code opened,
into the kiosk's own hash-chained log on disk (before the action takes effect)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.session import SessionState
from kiosk.staff_audit import StaffAuditLog
from offline_queue.wire_staff import chain_breaks
from tests.core.fakes import FakePorts
from tests.ui.test_staff_door import CODE, DoorRig


def test_the_staff_door_audits_attempts_and_the_acknowledgement(
    qtbot: QtBot, fakes: FakePorts, tmp_path: Path
) -> None:
    door = DoorRig(qtbot, fakes, tmp_path / "used.json")
    log = StaffAuditLog(tmp_path / "staff_audit.sqlite", kiosk_id="kiosk-door")
    door.auth.use_audit(log)
    try:
        door.gesture()
        door.type_code("111111")
        door.type_code(CODE)
        qtbot.waitUntil(lambda: door.controller.state is SessionState.ATTRACT, timeout=5000)
        events = log.events()
        assert [(e.action, e.role) for e in events] == [
            ("login_refused", "none"),
            ("login_accepted", "technician"),
            ("alerts_acknowledged", "technician"),
        ]
        assert events[0].actor == "unknown"
        assert events[1].actor == events[2].actor != "unknown"
        assert chain_breaks(events) == []
        for stored in tmp_path.glob("staff_audit.sqlite*"):  # with the -wal file
            assert CODE.encode() not in stored.read_bytes()
    finally:
        door.poster.close()
        door.window.ticker.stop()
        log.close()

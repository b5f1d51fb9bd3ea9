"""The staff audit's chain: the canonical form against `sha256sum`, the kiosk's log on SQLite, the
breaks a changed, removed or replayed event makes, the staff login's events, and the outbox
delivering events strictly in order."""

from __future__ import annotations

import itertools
import shutil
import stat
import subprocess
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.staff_audit import StaffAuditError, StaffAuditLog
from kiosk.staff_auth import FAILURES_BEFORE_LOCK, StaffAuthenticator, hash_code
from offline_queue.errors import CentralUnavailable
from offline_queue.outbox import Outbox, OutboxState
from offline_queue.sender import OutboxSender
from offline_queue.staff_delivery import STAFF_AUDIT_KIND, enqueue_staff_event
from offline_queue.wire import (
    BatchAck,
    RecordBatch,
    StaffAuditAck,
    StaffAuditBatch,
    StaffAuditEvent,
)
from offline_queue.wire_staff import (
    GENESIS_HASH,
    ChainBreak,
    canonical_event_json,
    chain_breaks,
    event_hash,
)
from tests.sync.conftest import FakeClock

KIOSK = "kiosk-audit"
T0 = datetime(2026, 12, 2, 8, 30, 15, 250000, tzinfo=UTC)


class Ticking:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _log(tmp_path: Path) -> StaffAuditLog:
    return StaffAuditLog(tmp_path / "data" / "staff_audit.sqlite", kiosk_id=KIOSK, clock=Ticking())


def _fill(log: StaffAuditLog, count: int) -> tuple[StaffAuditEvent, ...]:
    for index in range(count):
        log.record(
            actor=f"code-{index:012x}",
            role="technician",
            action="alerts_acknowledged",
            detail={"alerts": str(index)},
        )
    return log.events()


def test_the_canonical_form_is_sorted_compact_json_and_hashed_like_sha256sum(
    tmp_path: Path,
) -> None:
    event = StaffAuditEvent(
        kiosk_id=KIOSK,
        seq=1,
        occurred_at=T0,
        actor="code-0123456789ab",
        role="technician",
        action="login_accepted",
        detail={"source": "fleet", "method": "maintenance_code"},
        prev_hash=GENESIS_HASH,
    )
    expected = (
        '{"action":"login_accepted","actor":"code-0123456789ab",'
        '"detail":{"method":"maintenance_code","source":"fleet"},"kiosk_id":"kiosk-audit",'
        '"occurred_at":"2026-12-02T08:30:15.250000Z","prev_hash":"' + "0" * 64 + '",'
        '"role":"technician","schema_version":1,"seq":1}'
    )
    assert canonical_event_json(event) == expected.encode()
    sha256sum = shutil.which("sha256sum")
    assert sha256sum is not None
    (tmp_path / "event.json").write_bytes(canonical_event_json(event))
    done = subprocess.run(
        [sha256sum, str(tmp_path / "event.json")], capture_output=True, text=True, check=True
    )
    assert event_hash(event) == done.stdout.split()[0]


def test_an_event_in_another_zone_is_hashed_in_utc() -> None:
    brussels = T0.astimezone(ZoneInfo("Europe/Brussels"))
    fields: dict[str, object] = {
        "kiosk_id": KIOSK,
        "seq": 1,
        "actor": "unknown",
        "role": "none",
        "action": "login_refused",
        "prev_hash": GENESIS_HASH,
    }
    there = StaffAuditEvent.model_validate({**fields, "occurred_at": brussels})
    here = StaffAuditEvent.model_validate({**fields, "occurred_at": T0})
    assert event_hash(there) == event_hash(here)


def test_the_log_chains_each_event_to_the_one_before_and_keeps_its_file_private(
    tmp_path: Path,
) -> None:
    log = _log(tmp_path)
    events = _fill(log, 4)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == "00" * 32
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == event_hash(before)
    assert chain_breaks(events) == []
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    log.close()
    reopened = _log(tmp_path)
    _fill(reopened, 1)
    assert reopened.events()[-1].seq == 5
    assert reopened.events()[-1].prev_hash == event_hash(events[-1])
    reopened.close()


def test_personal_data_in_the_detail_is_refused_and_nothing_is_appended(tmp_path: Path) -> None:
    log = _log(tmp_path)
    with pytest.raises(StaffAuditError):
        log.record(
            actor="unknown", role="none", action="login_refused", detail={"n": "85.03.14-124.01"}
        )
    assert log.events() == ()
    log.close()


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=3, max_value=12), data=st.data())
def test_a_changed_removed_or_replayed_event_breaks_the_chain_where_it_happened(
    tmp_path_factory: pytest.TempPathFactory, count: int, data: st.DataObject
) -> None:
    log = _log(tmp_path_factory.mktemp("chain"))
    events = list(_fill(log, count))
    log.close()
    victim = data.draw(st.integers(min_value=1, max_value=count - 2))  # has a successor
    changed = events[victim].model_copy(update={"detail": {"alerts": "999"}})
    assert chain_breaks([*events[:victim], changed, *events[victim + 1 :]]) == [
        (victim + 2, ChainBreak.WRONG_PREVIOUS_HASH)
    ]
    assert chain_breaks(events[:victim] + events[victim + 1 :]) == [
        (victim + 2, ChainBreak.SEQUENCE_GAP)
    ]
    assert chain_breaks([*events, changed]) == [(victim + 1, ChainBreak.REPLAYED_SEQ)]
    assert chain_breaks([*events, events[victim]]) == []  # the same event twice is no break


def test_events_recorded_before_the_outbox_was_wired_are_handed_over_once_attached(
    tmp_path: Path,
) -> None:
    log = _log(tmp_path)
    _fill(log, 2)
    handed: list[int] = []

    def queue(event: StaffAuditEvent) -> Future[bool]:
        handed.append(event.seq)
        done: Future[bool] = Future()
        done.set_result(True)
        return done

    assert log.attach(queue) == 2
    _fill(log, 1)
    assert handed == [1, 2, 3]
    assert log.resend_unqueued() == 0  # every event is in the outbox now
    log.close()


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, dict[str, str]]] = []

    def record(self, *, actor: str, role: str, action: str, detail: Mapping[str, str]) -> None:
        self.events.append((actor, role, action, dict(detail)))


def test_every_staff_login_attempt_and_action_is_audited_without_the_code(tmp_path: Path) -> None:
    clock = FakeClock()
    audit = Recorder()
    code = "735194"
    auth = StaffAuthenticator(
        code_hash=None, used_file=tmp_path / "used.json", clock=clock, audit=audit
    )
    auth.install_code(hash_code(code), expires_at=datetime.now(tz=UTC) + timedelta(hours=1))
    for _ in range(FAILURES_BEFORE_LOCK):
        auth.login("000000")
    auth.login(code)  # while locked
    clock.advance(3600)
    auth.login(code)
    auth.record_action("exit_to_system")
    actions = [a for _, _, a, _ in audit.events]
    assert actions == [
        "maintenance_code_installed",
        "login_refused",
        "login_refused",
        "login_locked_out",
        "login_while_locked",
        "login_accepted",
        "maintenance_code_used",
        "exit_to_system",
    ]
    actor = audit.events[5][0]
    assert actor.startswith("code-")
    assert {a for a, _, action, _ in audit.events if action.startswith("login_r")} == {"unknown"}
    assert audit.events[-1][:2] == (actor, "technician")
    assert audit.events[5][3] == {"method": "maintenance_code", "source": "fleet"}
    assert code not in repr(audit.events)


class StaffSink:
    """The central's side of the sender: records what came, in order; can be unreachable."""

    kiosk_id = KIOSK

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.down = False

    def post_records(self, batch: RecordBatch) -> BatchAck:
        raise AssertionError("no issuance record in these tests")

    def post_staff_audit(self, batch: StaffAuditBatch) -> StaffAuditAck:
        if self.down:
            raise CentralUnavailable("down")
        self.seqs.extend(e.seq for e in batch.events)
        return StaffAuditAck(accepted=tuple(e.seq for e in batch.events))


def test_a_later_event_never_overtakes_an_older_one_waiting_in_the_outbox(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _fill(log, 3)
    log.close()
    clock = FakeClock()
    sink = StaffSink()
    with Outbox(tmp_path / "outbox.sqlite", clock=clock) as outbox:
        sender = OutboxSender(outbox=outbox, client=sink, clock=clock, staff_sink=sink)
        enqueue_staff_event(outbox, events[0])
        sink.down = True
        assert sender.run_once() == 0  # event 1 waits with its backoff
        sink.down = False
        enqueue_staff_event(outbox, events[1])  # due at once
        assert sender.run_once() == 0
        assert sink.seqs == []  # 2 did not overtake 1
        clock.advance(3600)
        enqueue_staff_event(outbox, events[2])
        assert sender.drain() == 3
        assert sink.seqs == [1, 2, 3]
        assert outbox.counts()[OutboxState.DONE] == 3
        assert outbox.undelivered(STAFF_AUDIT_KIND, limit=9) == []

"""The fleet agent's state: commands run once and reported until acknowledged, configurations
validated, kept 0600 and applied between residents, the poll interval bounded."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import validated_managed
from kiosk.fleet.agent import FleetAgent, Outcome, PollBounds
from kiosk.fleet.gate import BetweenResidents
from kiosk.fleet.store import FleetStore
from kiosk.fleet.wiring import maintenance_code_handler
from kiosk.health import PaperFigures, device_health
from kiosk.staff_auth import LoginResult, StaffAuthenticator, hash_code
from offline_queue.errors import CentralUnavailable
from offline_queue.managed_config import ManagedSettings, managed_subset
from offline_queue.wire import (
    Command,
    CommandKind,
    CommandOutcome,
    CommandResult,
    ConfigReport,
    HeartbeatAck,
    KioskConfigDocument,
)

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def demo_settings() -> dict[str, Any]:
    return managed_subset(tomllib.loads((REPO / "kiosk.toml").read_text(encoding="utf-8")))


class Central:
    """The transport the agent talks to, recording what it was sent."""

    def __init__(self) -> None:
        self.document: KioskConfigDocument | None = None
        self.fetched_with: list[str] = []
        self.config_reports: list[ConfigReport] = []
        self.results: list[CommandResult] = []
        self.down = False

    def fetch_config(self, *, etag: str) -> KioskConfigDocument | None:
        self.fetched_with.append(etag)
        if self.down:
            raise CentralUnavailable("down")
        if self.document is None or self.document.etag == etag:
            return None
        return self.document

    def report_config(self, report: ConfigReport) -> None:
        if self.down:
            raise CentralUnavailable("down")
        self.config_reports.append(report)

    def report_command(self, result: CommandResult) -> None:
        if self.down:
            raise CentralUnavailable("down")
        self.results.append(result)


class Rig:
    def __init__(self, directory: Path) -> None:
        self.store = FleetStore(directory)
        self.gate = BetweenResidents()
        self.applied: list[ManagedSettings] = []
        self.ran: list[str] = []
        self.agent = self.new_agent()

    def new_agent(self) -> FleetAgent:
        self.gate = BetweenResidents()
        return FleetAgent(
            kiosk_id="kiosk-1",
            store=self.store,
            gate=self.gate,
            validate=validated_managed,
            apply=self.applied.append,
            handlers={
                CommandKind.PRINT_TEST_PAGE: self.handler,
                CommandKind.SYNC_NOW: self.handler,
            },
            clock=lambda: NOW,
        )

    def handler(self, command: Command) -> Outcome:
        self.ran.append(command.command_id)
        return Outcome(outcome=CommandOutcome.DONE, detail="job 7")


def ack(*, etag: str = "", commands: tuple[Command, ...] = (), poll: int = 30) -> HeartbeatAck:
    return HeartbeatAck(
        received_at=NOW, next_poll_seconds=poll, commands=commands, config_etag=etag
    )


def command(command_id: str, kind: CommandKind = CommandKind.PRINT_TEST_PAGE) -> Command:
    return Command(command_id=command_id, kind=kind, issued_at=NOW)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path / "fleet")


def test_a_command_waits_for_the_residents_then_runs_once_and_is_reported(rig: Rig) -> None:
    central = Central()
    rig.agent.on_ack(central, ack(commands=(command("c1"),)))
    assert rig.ran == []  # a resident may be at the kiosk: nothing yet
    assert central.results == []
    assert rig.gate.run_pending() == 1
    assert rig.ran == ["c1"]
    rig.agent.on_ack(central, ack())
    assert [(r.command_id, r.outcome, r.detail) for r in central.results] == [
        ("c1", CommandOutcome.DONE, "job 7")
    ]
    rig.agent.on_ack(central, ack(commands=(command("c1"),)))  # delivered again
    rig.gate.run_pending()
    assert rig.ran == ["c1"]  # not a second run: the stored result is reported again
    assert [r.command_id for r in central.results] == ["c1", "c1"]
    rig.agent.on_ack(central, ack())
    assert len(central.results) == 2  # acknowledged: not sent again


def test_a_result_is_sent_again_until_the_central_takes_it(rig: Rig) -> None:
    central = Central()
    rig.agent.receive(command("c1"))
    rig.gate.run_pending()
    central.down = True
    rig.agent.report(central)
    assert central.results == []
    central.down = False
    rig.agent.report(central)
    assert [r.command_id for r in central.results] == ["c1"]
    rig.agent.report(central)
    assert len(central.results) == 1


def test_a_command_done_before_a_restart_is_not_run_again(rig: Rig) -> None:
    rig.agent.receive(command("c1"))
    rig.gate.run_pending()
    rig.agent = rig.new_agent()  # the kiosk restarted
    rig.agent.receive(command("c1"))
    rig.gate.run_pending()
    assert rig.ran == ["c1"]


def test_a_command_interrupted_by_a_restart_is_reported_failed_not_run_again(rig: Rig) -> None:
    rig.agent.receive(command("c1"))  # scheduled, then the kiosk stopped before an idle moment
    rig.agent = rig.new_agent()
    central = Central()
    rig.agent.on_ack(central, ack(commands=(command("c1"),)))
    rig.gate.run_pending()
    assert rig.ran == []
    assert [(r.command_id, r.outcome) for r in central.results] == [("c1", CommandOutcome.FAILED)]
    assert "not run again" in central.results[0].detail


def test_a_command_without_handler_is_refused_with_a_reason(rig: Rig) -> None:
    central = Central()
    rig.agent.on_ack(central, ack(commands=(command("c9", CommandKind.UPLOAD_LOGS),)))
    rig.gate.run_pending()
    rig.agent.report(central)
    assert central.results[0].outcome is CommandOutcome.REFUSED
    assert "upload_logs" in central.results[0].detail


def test_a_new_configuration_is_kept_private_and_applied_between_residents(rig: Rig) -> None:
    settings = demo_settings()
    settings["prices"]["household"] = 400
    central = Central()
    central.document = KioskConfigDocument(etag="e2", version="v2", settings=settings)
    rig.agent.on_ack(central, ack(etag="e2"))
    assert central.fetched_with == [""]
    assert rig.applied == []
    assert rig.agent.config_etag == ""  # the heartbeat still says what runs
    mode = stat.S_IMODE(rig.store.config_path.stat().st_mode)
    assert mode == 0o600
    rig.gate.run_pending()
    assert rig.applied[0].prices_cents["household"] == 400
    assert rig.agent.config_etag == "e2"
    rig.agent.on_ack(central, ack(etag="e2"))
    assert central.config_reports == [ConfigReport(kiosk_id="kiosk-1", etag="e2", applied=True)]
    assert central.fetched_with == [""]  # same ETag: not fetched again


def test_a_bad_configuration_is_refused_with_its_reason_and_the_old_one_kept(rig: Rig) -> None:
    central = Central()
    central.document = KioskConfigDocument(etag="e1", version="v1", settings=demo_settings())
    rig.agent.on_ack(central, ack(etag="e1"))
    rig.gate.run_pending()
    bad = demo_settings()
    bad["prices"]["household"] = -1
    central.document = KioskConfigDocument(etag="e2", version="v2", settings=bad)
    rig.agent.on_ack(central, ack(etag="e2"))
    assert rig.gate.run_pending() == 0
    assert rig.agent.config_etag == "e1"
    refused = central.config_reports[-1]
    assert (refused.etag, refused.applied) == ("e2", False)
    assert "prices.household" in refused.reason
    rig.agent.on_ack(central, ack(etag="e2"))
    assert central.fetched_with == ["", "e1"]  # the refused one is not fetched over and over
    restarted = rig.new_agent()
    kept = restarted.restore()
    assert kept is not None
    assert kept.prices_cents["household"] == 250
    assert restarted.config_etag == "e1"


def test_a_report_that_could_not_be_sent_is_sent_later(rig: Rig) -> None:
    central = Central()
    central.document = KioskConfigDocument(etag="e1", version="v1", settings=demo_settings())
    rig.agent.on_ack(central, ack(etag="e1"))
    rig.gate.run_pending()
    central.down = True
    rig.agent.report(central)
    central.down = False
    rig.agent.report(central)
    assert [r.etag for r in central.config_reports] == ["e1"]


def test_the_poll_interval_obeys_the_central_within_bounds(rig: Rig) -> None:
    central = Central()
    assert rig.agent.on_ack(central, ack(poll=45)) == 45.0
    assert rig.agent.on_ack(central, ack(poll=1)) == PollBounds().low_s
    assert rig.agent.on_ack(central, ack(poll=3600)) == PollBounds().high_s


def test_a_maintenance_code_issued_from_the_central_opens_the_staff_login(
    tmp_path: Path,
) -> None:
    staff = StaffAuthenticator(code_hash=None, used_file=tmp_path / "used.json", clock=lambda: 0.0)
    handle = maintenance_code_handler(staff)
    arguments: Mapping[str, str] = {
        "code_hash": hash_code("135792"),
        "expires_at": (datetime.now(tz=UTC) + timedelta(hours=1)).isoformat(),
    }
    issued = Command(
        command_id="m1",
        kind=CommandKind.ISSUE_MAINTENANCE_CODE,
        issued_at=NOW,
        arguments=dict(arguments),
    )
    outcome = handle(issued)
    assert isinstance(outcome, Outcome)
    assert outcome.outcome is CommandOutcome.DONE
    assert staff.login("000000") is LoginResult.REFUSED
    assert staff.login("135792") is LoginResult.ACCEPTED
    assert staff.login("135792") is LoginResult.USED
    late = issued.model_copy(
        update={"arguments": {**arguments, "expires_at": "2020-01-01T00:00:00+00:00"}}
    )
    refused = handle(late)
    assert isinstance(refused, Outcome)
    assert refused.outcome is CommandOutcome.REFUSED
    bad = issued.model_copy(update={"arguments": {**arguments, "code_hash": "md5$x"}})
    refused = handle(bad)
    assert isinstance(refused, Outcome)
    assert refused.outcome is CommandOutcome.REFUSED


def test_device_health_carries_the_figures_the_console_forecasts_from() -> None:
    not_after = datetime(2027, 3, 1, tzinfo=UTC)
    eod = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    health = device_health(
        {
            "card_reader": "present",
            "card": "inserted",
            "printer": "idle",
            "paper": "low",
            "payment_terminal": "ready",
            "seal_token": "ok",
        },
        {
            "seal_token": {"certificate_not_after": not_after},
            "payment_terminal": {"last_end_of_day": eod},
        },
        paper=PaperFigures(level_pct=8, pages_left=20, pages_printed_total=1230),
    )
    assert health["card_reader"].state == "present"
    assert health["card_reader"].detail == "inserted"
    assert (health["printer"].pages_left, health["printer"].pages_printed_total) == (20, 1230)
    assert health["printer"].paper_level_pct == 8
    assert health["printer"].detail == "low"
    assert health["payment_terminal"].last_end_of_day == eod
    assert health["seal_token"].certificate_not_after == not_after

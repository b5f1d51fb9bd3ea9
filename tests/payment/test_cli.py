"""Both command lines as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.payment.model import Approved
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator
from tests.payment.conftest import FAST

pytestmark = pytest.mark.serial
ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardware.payment", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pay_json(sim: TerminalSimulator) -> None:
    done = run_cli(
        "--port",
        str(sim.link_path),
        "--timeout-scale",
        "0.05",
        "pay",
        "--amount-cents",
        "250",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["type"] == "Approved"
    assert outcome["amount_cents"] == 250
    assert "payment.status.insert_card" in done.stderr


def test_decline_reverse_status_and_end_of_day(sim: TerminalSimulator) -> None:
    port = ["--port", str(sim.link_path), "--timeout-scale", "0.05", "--json"]
    sim.queue_scenarios(Scenario.DECLINE)
    declined = json.loads(run_cli(*port, "pay", "--amount-cents", "100").stdout)
    assert declined["type"] == "Declined"
    paid = json.loads(run_cli(*port, "pay", "--amount-cents", "300").stdout)
    reversed_ = json.loads(run_cli(*port, "reverse", "--receipt", paid["receipt_number"]).stdout)
    assert reversed_["type"] == "Approved"
    assert json.loads(run_cli(*port, "status").stdout)["ready"] is True
    assert json.loads(run_cli(*port, "end-of-day").stdout)["approved"] is True
    assert json.loads(run_cli(*port, "abort").stdout) == {"abort": "sent"}


def test_unreachable_port_exits_with_error(tmp_path: Path) -> None:
    done = run_cli("--port", str(tmp_path / "none"), "--json", "status")
    assert done.returncode == 2
    assert json.loads(done.stdout)["key"] == "payment.terminal_unavailable"


def test_simulator_process_with_control_socket(tmp_path: Path) -> None:
    link, control = tmp_path / "ttySIM", tmp_path / "control.sock"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardware.simulators.zvt",
            "--link",
            str(link),
            "--control",
            str(control),
            "--time-scale",
            "0.05",
            "--journal",
            str(tmp_path / "t.json"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["link"] == str(link)
        terminal = ZvtTerminal(str(link), timeouts=FAST)
        assert isinstance(
            terminal.pay(amount_cents=120, reference="cli-1", on_status=print), Approved
        )
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(control))
            client.sendall(b"scenario decline\n")
            with client.makefile("r") as reader:
                answer = json.loads(reader.readline())
        assert answer == {"ok": True, "scenario": "decline", "link": str(link)}
        assert not isinstance(
            terminal.pay(amount_cents=120, reference="cli-2", on_status=print), Approved
        )
        terminal.close()
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0
    assert not link.exists()

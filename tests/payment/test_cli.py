"""Both command lines as real subprocesses; every command prints one typed JSON object."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import Approved
from hardware.payment.zvt import messages as msg
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


def cli_json(sim: TerminalSimulator, *command: str, exit_status: int = 0) -> dict[str, Any]:
    assert sim.journal_path is not None
    journal = sim.journal_path.with_name("cli-payments.sqlite")
    done = run_cli(
        "--port", sim.address, "--journal", str(journal), "--timeout-scale", "0.05", *command,
        "--json",
    )  # fmt: skip
    assert done.returncode == exit_status, done.stderr
    assert "Traceback" not in done.stderr
    payload: dict[str, Any] = json.loads(done.stdout)
    assert isinstance(payload["type"], str)
    return payload


def test_pay_json(sim: TerminalSimulator) -> None:
    outcome = cli_json(sim, "pay", "--amount-cents", "250")
    assert outcome["type"] == "Approved"
    assert outcome["amount_cents"] == 250
    assert "AMOUNT EUR 2.50" in outcome["receipt_lines"]
    assert outcome["receipt_number"]
    assert outcome["masked_pan"].endswith("1234")


def test_pay_declined(sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.DECLINE)
    outcome = cli_json(sim, "pay", "--amount-cents", "250", exit_status=1)
    assert outcome["type"] == "Declined"
    assert outcome["reason"] == "payment.declined"


def test_pay_is_journaled(sim: TerminalSimulator) -> None:
    outcome = cli_json(sim, "pay", "--amount-cents", "250", "--reference", "cli-journaled")
    assert sim.journal_path is not None
    journal = PaymentJournal(sim.journal_path.with_name("cli-payments.sqlite"))
    try:
        record = journal.get("cli-journaled")
    finally:
        journal.close()
    assert record.state is PaymentState.COMPLETED
    assert record.receipt_number == outcome["receipt_number"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pay", "--amount-cents", "0"), "at least 1 cent"),
        (("pay", "--amount-cents", "1000000000000"), "at most"),
        (("pay", "--amount-cents", "ten"), "not a whole number"),
        (("refund", "--amount-cents", "-5"), "at least 1 cent"),
        (("reverse", "--receipt", "12ab"), "1 to 4 digits"),
    ],
)
def test_bad_arguments_are_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = run_cli("--port", str(tmp_path / "none"), "--journal", str(tmp_path / "j"), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_status_prints_version_and_terminal_status(sim: TerminalSimulator) -> None:
    done = run_cli("--port", sim.address, "--timeout-scale", "0.05", "status")
    assert done.returncode == 0, done.stderr
    assert "software_version: BORNE-SIM 1.0" in done.stdout.splitlines()
    assert "terminal_status: 0" in done.stdout.splitlines()


def test_terminal_asking_for_initialisation_is_initialised(sim: TerminalSimulator) -> None:
    sim.terminal_status = msg.TERMINAL_INIT_REQUIRED
    status = cli_json(sim, "status")
    assert status["ready"] is True
    assert status["terminal_status"] == msg.TERMINAL_READY
    assert msg.INITIALISATION in sim.commands


def test_status(sim: TerminalSimulator) -> None:
    status = cli_json(sim, "status")
    assert status["type"] == "TerminalStatus"
    assert status["ready"] is True
    assert status["software_version"] == "BORNE-SIM 1.0"


def test_abort(sim: TerminalSimulator) -> None:
    assert cli_json(sim, "abort") == {"type": "AbortSent"}


def test_reverse(sim: TerminalSimulator) -> None:
    paid = cli_json(sim, "pay", "--amount-cents", "300")
    reversed_ = cli_json(sim, "reverse", "--receipt", paid["receipt_number"])
    assert reversed_["type"] == "Approved"
    assert reversed_["amount_cents"] == 300
    again = cli_json(sim, "reverse", "--receipt", paid["receipt_number"], exit_status=1)
    assert again["type"] == "Declined"
    assert again["reason"] == "payment.already_reversed"


def test_end_of_day(sim: TerminalSimulator) -> None:
    cli_json(sim, "pay", "--amount-cents", "300")
    closing = cli_json(sim, "end-of-day")
    assert closing["type"] == "EndOfDay"
    assert closing["approved"] is True
    assert closing["total_cents"] == 300
    # BMP 60: a Bancontact card is counted under "other" cards
    assert closing["totals"] == [{"brand": "other", "count": 1, "amount_cents": 300}]
    assert closing["count"] == 1


def test_repeat_receipt_and_register(sim: TerminalSimulator) -> None:
    cli_json(sim, "pay", "--amount-cents", "300")
    assert "APPROVED" in cli_json(sim, "repeat-receipt")["receipt_lines"]
    assert cli_json(sim, "register") == {"type": "Registered"}


def test_pay_over_tcp(tmp_path: Path) -> None:
    with TerminalSimulator(tcp_port=0, journal_path=tmp_path / "t.json") as sim:
        assert sim.address.startswith("tcp://127.0.0.1:")
        assert cli_json(sim, "pay", "--amount-cents", "250")["type"] == "Approved"


def test_unreachable_port_exits_with_error(tmp_path: Path) -> None:
    done = run_cli("--port", str(tmp_path / "none"), "--json", "status")
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error["type"] == "Error"
    assert error["key"] == "payment.terminal_unavailable"


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

"""Fault injection: the syntax, the simulator's command line and control socket, and the reader
against each fault through pcscd + vpcd."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.eid import CardDataError, CardRemoved, EidReader, NotAnEidCard
from hardware.eid.errors import CardCommunicationError
from hardware.simulators.eid import CardFaults, CardPki
from hardware.simulators.eid.vicc import parse_faults
from hardware.simulators.pcscd import PcscdService
from tests.eid.conftest import SLOT, InsertCard, wait_for, wait_for_removal_event

REPO = Path(__file__).resolve().parents[2]


def test_fault_syntax() -> None:
    assert parse_faults(["remove-after=5"]) == CardFaults(remove_after_apdus=5)
    faults = parse_faults(["drop-after=3,slow=9600", "sw=B0:6581", "spurious-eof", "force-6c"])
    assert faults == CardFaults(
        drop_after_apdus=3,
        byte_delay=10 / 9600,
        wrong_sw=0x6581,
        wrong_sw_ins=0xB0,
        spurious_eof_once=True,
        force_6c=True,
    )
    assert parse_faults(["sw=6F00"]) == CardFaults(wrong_sw=0x6F00)
    assert parse_faults(["none"], base=faults) == CardFaults()
    assert parse_faults(["none,remove-after=2"], base=faults) == CardFaults(remove_after_apdus=2)
    for bad in ("remove-after=x", "slow=0", "sw=9000", "sw=ZZ:6581", "explode", "force-6c=1"):
        with pytest.raises(ValueError, match=r"\S"):
            parse_faults([bad])


def test_help_documents_the_fault_syntax() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "hardware.simulators.eid", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for word in ("remove-after=N", "drop-after=N", "slow=BAUD", "sw=INS:XXXX", "--control"):
        assert word in shown
    refused = subprocess.run(
        [sys.executable, "-m", "hardware.simulators.eid", "--persona", "marie", "--fault", "x"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "unknown fault" in refused.stderr


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (CardFaults(wrong_sw=0x6581, wrong_sw_ins=0xB0), CardDataError),
        (CardFaults(wrong_sw=0x6F00, wrong_sw_ins=0x88), CardCommunicationError),
    ],
    ids=["read-binary-6581", "internal-authenticate-6f00"],
)
def test_reader_against_wrong_status_words(
    faults: CardFaults, error: type[Exception], insert_card: InsertCard, eid_reader: EidReader
) -> None:
    card = insert_card("marie")
    with eid_reader.open_session() as session:
        card.faults = faults
        with pytest.raises(error):
            session.read()


def test_wrong_status_word_on_select_is_not_an_eid(
    insert_card: InsertCard, eid_reader: EidReader
) -> None:
    insert_card("marie", faults=CardFaults(wrong_sw=0x6A82, wrong_sw_ins=0xA4))
    with pytest.raises(NotAnEidCard):
        eid_reader.open_session()


class SimulatorProcess:
    def __init__(self, control: Path, args: list[str]) -> None:
        self.control = control
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hardware.simulators.eid", *args, "--control", str(control)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.ready = json.loads(self.process.stdout.readline())

    def send(self, line: str) -> dict[str, object]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.control))
            conn.sendall((line + "\n").encode())
            answer: dict[str, object] = json.loads(conn.makefile("r").readline())
        return answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def simulator(
    pcscd: PcscdService, card_pki: CardPki, eid_reader: EidReader, tmp_path: Path
) -> Iterator[SimulatorProcess]:
    args = ["--persona", "marie", "--slot", str(SLOT), "--pki", str(card_pki.directory)]
    process = SimulatorProcess(tmp_path / "control", [*args, "--fault", "remove-after=5"])
    try:
        yield process
    finally:
        process.stop()
        assert wait_for(lambda: not eid_reader.card_present()), "pcscd still sees a card"


@pytest.mark.pcsc
def test_command_line_and_control_socket_faults(
    simulator: SimulatorProcess, eid_reader: EidReader
) -> None:
    faults = simulator.ready["faults"]
    assert isinstance(faults, dict)
    assert faults["remove_after_apdus"] == 5
    assert wait_for(eid_reader.card_present)
    with eid_reader.open_session() as session, pytest.raises(CardRemoved):
        session.read()
    assert wait_for_removal_event(eid_reader.find_reader())
    assert simulator.send("status")["state"] == "removed"
    assert simulator.send("fault none")["ok"]
    assert simulator.send("insert")["state"] == "inserted"
    assert wait_for(eid_reader.card_present)
    with eid_reader.open_session() as session:
        assert session.read().report.ok
        assert simulator.send("fault sw=B0:6581")["ok"]
        with pytest.raises(CardDataError):
            session.read()
        assert simulator.send("fault none,drop-after=3")["ok"]
        assert session.read().report.ok
        assert simulator.send("fault none,slow=19200")["ok"]
        assert session.read().report.ok
    answer = simulator.send("fault explode")
    assert answer["ok"] is False
    assert "unknown fault" in str(answer["error"])
    assert simulator.send("launch")["ok"] is False

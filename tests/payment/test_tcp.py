"""ZVT over TCP/IP through a real loopback socket: bare APDUs, no DLE/CRC framing, no ACK byte."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.payment.errors import TerminalNotReachable
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import Approved, Declined, Unknown
from hardware.payment.service import PaymentService
from hardware.payment.transport import tcp_address
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import Apdu, apdu_size, decode_apdu, encode_apdu
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator
from tests.payment.conftest import FAST, SIM_TIMING

S = PaymentState
pytestmark = pytest.mark.serial


def ignore(key: str) -> None:
    del key


@pytest.fixture
def tcp_sim(tmp_path: Path) -> Iterator[TerminalSimulator]:
    with TerminalSimulator(
        tcp_port=0, journal_path=tmp_path / "terminal.json", timing=SIM_TIMING
    ) as simulator:
        yield simulator


@pytest.fixture
def tcp_terminal(tcp_sim: TerminalSimulator) -> Iterator[ZvtTerminal]:
    terminal = ZvtTerminal(tcp_sim.address, timeouts=FAST)
    yield terminal
    terminal.close()


@given(st.binary(max_size=600), st.integers(0, 255), st.integers(0, 255))
def test_apdu_size_delimits_back_to_back_apdus(data: bytes, cls: int, instr: int) -> None:
    raw = encode_apdu(Apdu(cls=cls, instr=instr, data=data))
    header = 3 if len(data) < 0xFF else 5
    for cut in range(header):
        assert apdu_size(raw[:cut]) is None
    assert apdu_size(raw[:header]) == len(raw)
    assert apdu_size(raw + b"\x80\x00\x00") == len(raw)


def test_tcp_address_parsing() -> None:
    assert tcp_address("tcp://10.0.0.7:20007") == ("10.0.0.7", 20007)
    assert tcp_address("/dev/ttyUSB0") is None
    with pytest.raises(ValueError, match="bad terminal address"):
        tcp_address("tcp://nohost")


def test_wire_is_bare_apdus(tcp_sim: TerminalSimulator) -> None:
    assert tcp_sim.tcp_port is not None
    with socket.create_connection(("127.0.0.1", tcp_sim.tcp_port), timeout=2) as sock:
        sock.sendall(encode_apdu(msg.password_command(msg.STATUS_ENQUIRY, password="000000")))
        first = sock.recv(3)
    assert first == b"\x80\x00\x00"  # no DLE STX, no ACK byte: the positive answer itself
    assert decode_apdu(first) == msg.ack()


def test_pay_decline_reverse_status_over_tcp(
    tcp_sim: TerminalSimulator, tcp_terminal: ZvtTerminal
) -> None:
    paid = tcp_terminal.pay(amount_cents=250, reference="t1", on_status=ignore)
    assert isinstance(paid, Approved)
    assert "AMOUNT EUR 2.50" in paid.receipt_lines
    tcp_sim.queue_scenarios(Scenario.DECLINE)
    assert isinstance(
        tcp_terminal.pay(amount_cents=100, reference="t2", on_status=ignore), Declined
    )
    assert isinstance(tcp_terminal.reverse(receipt_number=paid.receipt_number), Approved)
    assert tcp_terminal.status_enquiry().ready
    assert tcp_terminal.end_of_day().approved


@pytest.mark.parametrize("scenario", [Scenario.SPLIT, Scenario.SLOW, Scenario.NAK])
def test_link_scenarios_over_tcp(
    tcp_sim: TerminalSimulator, tcp_terminal: ZvtTerminal, scenario: Scenario
) -> None:
    tcp_sim.queue_scenarios(scenario)
    assert isinstance(tcp_terminal.pay(amount_cents=250, reference="s", on_status=ignore), Approved)


def test_connection_dropped_after_approval_is_found(
    tcp_sim: TerminalSimulator, tcp_terminal: ZvtTerminal, tmp_path: Path
) -> None:
    journal = PaymentJournal(tmp_path / "p.db")
    service = PaymentService(terminal=tcp_terminal, journal=journal)
    tcp_sim.queue_scenarios(Scenario.CABLE_PULL)
    outcome = service.pay(amount_cents=250, reference="c1")
    assert isinstance(outcome, Approved)  # reconnected and found by the status enquiry
    assert [to for _, to in journal.history("c1")][-3:] == [S.UNKNOWN, S.RECOVERING, S.APPROVED]
    journal.close()


def test_power_loss_over_tcp_then_recovery(
    tcp_sim: TerminalSimulator, tcp_terminal: ZvtTerminal, tmp_path: Path
) -> None:
    journal = PaymentJournal(tmp_path / "p.db")
    service = PaymentService(terminal=tcp_terminal, journal=journal)
    tcp_sim.set_scenario(Scenario.POWER_LOSS)
    assert isinstance(service.pay(amount_cents=250, reference="p1"), Unknown)
    tcp_sim.set_scenario(Scenario.APPROVE)
    tcp_sim.restart()
    service.recover()
    assert journal.get("p1").state is S.REVERSED
    journal.close()


def test_nobody_listening_is_not_reachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    terminal = ZvtTerminal(f"tcp://127.0.0.1:{port}", timeouts=FAST)
    with pytest.raises(TerminalNotReachable):
        terminal.pay(amount_cents=100, reference="n", on_status=ignore)

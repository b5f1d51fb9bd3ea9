from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts
from hardware.simulators.zvt import SimTiming, TerminalSimulator

FAST = ZvtTimeouts(
    inter_byte=0.2, command=1.0, ack=0.3, silence=1.0, customer=5.0, between_transactions=0.0
)
SIM_TIMING = SimTiming(
    step=0.0,
    slow_delay=0.3,
    status_interval=0.05,
    card_timeout=3.0,
    reply=1.0,
    ack=0.2,
    reboot_time=0.5,
    split_gap=0.005,
)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[TerminalSimulator]:
    simulator = TerminalSimulator(
        link_path=tmp_path / "ttyZVT",
        journal_path=tmp_path / "terminal.json",
        timing=SIM_TIMING,
    )
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def make_terminal(sim: TerminalSimulator) -> Iterator[Callable[..., ZvtTerminal]]:
    made: list[ZvtTerminal] = []

    def make(**overrides: float) -> ZvtTerminal:
        timeouts = ZvtTimeouts(**{**_fields(FAST), **overrides})
        terminal = ZvtTerminal(str(sim.link_path), timeouts=timeouts)
        made.append(terminal)
        return terminal

    yield make
    for terminal in made:
        terminal.close()


def _fields(timeouts: ZvtTimeouts) -> dict[str, float]:
    return {
        "inter_byte": timeouts.inter_byte,
        "command": timeouts.command,
        "ack": timeouts.ack,
        "silence": timeouts.silence,
        "customer": timeouts.customer,
        "between_transactions": timeouts.between_transactions,
    }


@pytest.fixture
def terminal(make_terminal: Callable[..., ZvtTerminal]) -> ZvtTerminal:
    return make_terminal()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[PaymentJournal]:
    j = PaymentJournal(tmp_path / "payments.db")
    yield j
    j.close()


@pytest.fixture
def service(terminal: ZvtTerminal, journal: PaymentJournal) -> PaymentService:
    return PaymentService(terminal=terminal, journal=journal)

"""A terminal that started no transaction charged nothing; a refused second charge still gets paper.

Through the real payment adapter, the payment service and its journal, and the ZVT simulator on a
pty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import Scenario, TerminalSimulator
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.claim_slip import claim_code
from kiosk.ports import PaymentNotTaken, PaymentStatus
from tests.payment.conftest import FAST, SIM_TIMING

pytestmark = pytest.mark.serial
WAIT_S = 30.0


@dataclass
class Till:
    adapter: ZvtPaymentAdapter
    sim: TerminalSimulator
    journal: Path


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Till]:
    sim = TerminalSimulator(
        link_path=tmp_path / "ttyZVT", journal_path=tmp_path / "terminal.json", timing=SIM_TIMING
    )
    sim.start()
    runner = DeviceRunner("payment")
    runner.start()
    journal = tmp_path / "payments.db"
    adapter = ZvtPaymentAdapter(
        runner=runner,
        service_factory=lambda: PaymentService(
            terminal=ZvtTerminal(str(sim.link_path), timeouts=FAST),
            journal=PaymentJournal(journal),
        ),
        commune="Démo",
        kiosk_id="kiosk-test",
    )
    try:
        yield Till(adapter=adapter, sim=sim, journal=journal)
    finally:
        runner.stop(close=adapter.close)
        sim.stop()


def _states(path: Path) -> dict[str, PaymentState]:
    journal = PaymentJournal(path)
    try:
        return {r.reference: r.state for r in journal.in_states(frozenset(PaymentState))}
    finally:
        journal.close()


def test_a_busy_terminal_is_not_charged_and_the_next_attempt_pays(till: Till) -> None:
    till.sim.set_scenario(Scenario.BUSY)
    with pytest.raises(PaymentNotTaken) as caught:
        till.adapter.pay(amount_cents=250, reference="order-b", on_prompt=lambda _k: None).result(
            timeout=WAIT_S
        )
    assert caught.value.translation_key == "payment.terminal_busy"
    assert not caught.value.suspended
    assert _states(till.journal) == {"order-b": PaymentState.NOT_SENT}
    till.sim.set_scenario(Scenario.APPROVE)
    paid = till.adapter.pay(
        amount_cents=250, reference="order-b", on_prompt=lambda _k: None
    ).result(timeout=WAIT_S)
    assert paid.status is PaymentStatus.APPROVED
    assert paid.attempt == 2
    charges = [r for r in till.sim.journal.records() if r.kind == "payment" and r.result == 0]
    assert len(charges) == 1


def test_a_second_charge_of_a_paid_order_is_refused_and_the_claim_slip_prints(till: Till) -> None:
    first = till.adapter.pay(
        amount_cents=400, reference="order-d", on_prompt=lambda _k: None
    ).result(timeout=WAIT_S)
    assert first.status is PaymentStatus.APPROVED
    till.adapter.complete(reference="order-d").result(timeout=WAIT_S)
    again = till.adapter.pay(
        amount_cents=400, reference="order-d", on_prompt=lambda _k: None
    ).result(timeout=WAIT_S)
    assert again.status is PaymentStatus.UNKNOWN  # never charged twice: staff look at it
    slip = till.adapter.claim_slip(reference="order-d").result(timeout=WAIT_S)
    assert slip.claim_code == claim_code("order-d")
    assert slip.amount_cents == 400
    assert slip.receipt_number == first.receipt_number
    assert _states(till.journal) == {"order-d": PaymentState.COMPLETED}

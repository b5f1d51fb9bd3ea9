"""Kill the paying process (SIGKILL) right after each journal transition, restart, recover.

The simulator lives in this test process and survives the kill; the paying process is a real
subprocess on the same pty. After `recover()` in a fresh PaymentService over the same journal:
no card is charged twice, and no charge is left undelivered without a REVERSED or MANUAL_REVIEW row.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal, PaymentRecord, PaymentState
from hardware.payment.model import Approved
from hardware.payment.service import PaymentService
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator
from tests.payment.conftest import FAST, SIM_TIMING

S = PaymentState
pytestmark = pytest.mark.serial
ROOT = Path(__file__).resolve().parents[2]
# The terminal gives up quickly on a vanished ECR, so each case waits little for it to be idle.
CRASH_TIMING = replace(SIM_TIMING, reply=0.3, ack=0.1)

# (flow, scenario, state after which the payer dies, expected state after recovery)
CASES = [
    ("deliver", Scenario.APPROVE, S.CREATED, S.NOT_SENT),
    ("deliver", Scenario.APPROVE, S.SENDING, S.NOT_SENT),
    # the terminal gave up on the vanished kiosk before a card: recovery proves nothing was charged
    ("deliver", Scenario.APPROVE, S.IN_PROGRESS, S.CANCELLED),
    ("deliver", Scenario.APPROVE, S.APPROVED, S.REVERSED),
    ("deliver", Scenario.APPROVE, S.DELIVERING, S.REVERSED),
    ("deliver", Scenario.APPROVE, S.COMPLETED, S.COMPLETED),
    ("undeliverable", Scenario.APPROVE, S.DELIVERY_FAILED, S.REVERSED),
    ("undeliverable", Scenario.APPROVE, S.REVERSAL_PENDING, S.REVERSED),
    ("undeliverable", Scenario.APPROVE, S.REVERSED, S.REVERSED),
    ("pay", Scenario.DECLINE, S.DECLINED, S.DECLINED),
    ("pay", Scenario.CANCEL, S.CANCELLED, S.CANCELLED),
    ("pay", Scenario.TIMEOUT, S.TIMED_OUT, S.TIMED_OUT),
    ("pay", Scenario.BUSY, S.NOT_SENT, S.NOT_SENT),
    ("pay", Scenario.CABLE_PULL, S.UNKNOWN, S.REVERSED),
    ("pay", Scenario.CABLE_PULL, S.RECOVERING, S.REVERSED),
]


@pytest.fixture
def crash_sim(tmp_path: Path) -> Iterator[TerminalSimulator]:
    with TerminalSimulator(
        link_path=tmp_path / "ttyZVT", journal_path=tmp_path / "terminal.json", timing=CRASH_TIMING
    ) as simulator:
        yield simulator


def run_payer(
    *, sim: TerminalSimulator, db: Path, reference: str, flow: str, crash_after: PaymentState
) -> int:
    args = ["--port", sim.address, "--journal", str(db), "--reference", reference]
    args += ["--flow", flow, "--customer", "0.2" if sim.scenario is Scenario.TIMEOUT else "5"]
    args += ["--crash-after", crash_after.value]
    done = subprocess.run(
        [sys.executable, "-m", "tests.payment.crash_pay", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode


def assert_invariant(sim: TerminalSimulator, rows: list[PaymentRecord]) -> None:
    """Each terminal charge belongs to one journal row, found by its receipt number (the kiosk
    sends no identifier of its own), or is left to staff; no row claims a charge that is not there.
    """
    charges = [r for r in sim.journal.records() if r.kind == "payment"]
    charges = [r for r in charges if r.result == msg.RESULT_SUCCESS]
    assert len(charges) <= len(rows), "more charges than orders"
    by_receipt = {int(row.receipt_number): row for row in rows if row.receipt_number}
    staff = [row for row in rows if row.state is S.MANUAL_REVIEW]
    for charge in charges:
        row = by_receipt.get(charge.receipt)
        if row is None:
            assert staff, f"charge {charge.receipt} belongs to no row and no one was told"
        elif charge.reversed:
            assert row.state in (S.REVERSED, S.MANUAL_REVIEW), row
        else:
            assert row.state in (S.COMPLETED, S.MANUAL_REVIEW), row
    charged = {c.receipt for c in charges if not c.reversed}
    for row in rows:
        if row.state is S.COMPLETED:
            assert int(row.receipt_number) in charged
        if row.state is S.REVERSED:
            assert int(row.receipt_number) not in charged


@pytest.mark.parametrize(
    ("flow", "scenario", "crash_after", "expected"),
    CASES,
    ids=[f"{flow}-{scenario.value}-{state.value}" for flow, scenario, state, _ in CASES],
)
def test_kill_at_every_transition_then_recover(
    tmp_path: Path,
    crash_sim: TerminalSimulator,
    flow: str,
    scenario: Scenario,
    crash_after: PaymentState,
    expected: PaymentState,
) -> None:
    db = tmp_path / "payments.db"
    crash_sim.set_scenario(scenario)
    code = run_payer(sim=crash_sim, db=db, reference="order-1", flow=flow, crash_after=crash_after)
    assert code == -signal.SIGKILL, "the payer never reached the transition"
    assert crash_sim.wait_idle(5.0)
    crash_sim.set_scenario(Scenario.APPROVE)

    journal = PaymentJournal(db)
    terminal = ZvtTerminal(crash_sim.address, timeouts=FAST)
    try:
        service = PaymentService(terminal=terminal, journal=journal)
        assert journal.get("order-1").state is crash_after
        service.recover()
        assert journal.unresolved() == []
        assert journal.get("order-1").state is expected
        assert_invariant(crash_sim, journal.in_states(frozenset(PaymentState)))
        # the kiosk serves again, and the next order is charged exactly once
        assert isinstance(service.pay(amount_cents=400, reference="order-2"), Approved)
        service.mark_completed("order-2")
        assert_invariant(crash_sim, journal.in_states(frozenset(PaymentState)))
    finally:
        terminal.close()
        journal.close()

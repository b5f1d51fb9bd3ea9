"""Journal states per scenario, through the service, the real driver, a pty and the simulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from hardware.payment.errors import (
    DuplicateReference,
    InvalidTransition,
    PaymentsSuspended,
    TerminalBusy,
)
from hardware.payment.journal import (
    FINAL_STATES,
    TRANSITIONS,
    PaymentJournal,
    PaymentState,
)
from hardware.payment.model import Approved, Cancelled, Declined, Unknown
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator

S = PaymentState
pytestmark = pytest.mark.serial


def ref() -> str:
    return f"s-{uuid.uuid4().hex}"


def test_transition_table_is_closed() -> None:
    targets = {t for ts in TRANSITIONS.values() for t in ts}
    assert targets <= set(PaymentState)
    assert {S.COMPLETED, S.REVERSED, S.MANUAL_REVIEW, S.DECLINED, S.NOT_SENT} <= FINAL_STATES
    assert S.UNKNOWN not in FINAL_STATES
    # UNKNOWN never goes back to sending: no automatic re-charge
    assert TRANSITIONS[S.UNKNOWN] == frozenset({S.RECOVERING})
    assert S.SENDING not in TRANSITIONS[S.RECOVERING]


def test_invalid_transition_and_duplicate_reference(journal: PaymentJournal) -> None:
    journal.create(reference="r1", amount_cents=100)
    with pytest.raises(InvalidTransition):
        journal.set_state("r1", S.APPROVED)
    with pytest.raises(DuplicateReference):
        journal.create(reference="r1", amount_cents=100)
    assert journal.get("r1").state is S.CREATED


def test_approved_then_completed(service: PaymentService, journal: PaymentJournal) -> None:
    reference = ref()
    outcome = service.pay(amount_cents=250, reference=reference)
    assert isinstance(outcome, Approved)
    record = journal.get(reference)
    assert record.state is S.APPROVED
    assert record.receipt_number == outcome.receipt_number
    assert record.masked_pan == outcome.masked_pan
    assert record.receipt_lines == outcome.receipt_lines
    service.mark_delivering(reference)
    assert service.mark_completed(reference).state is S.COMPLETED
    assert journal.history(reference) == [
        (S.CREATED, S.SENDING),
        (S.SENDING, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.APPROVED),
        (S.APPROVED, S.DELIVERING),
        (S.DELIVERING, S.COMPLETED),
    ]


@pytest.mark.parametrize(
    ("scenario", "outcome_type", "state"),
    [
        (Scenario.DECLINE, Declined, S.DECLINED),
        (Scenario.CANCEL, Cancelled, S.CANCELLED),
    ],
)
def test_final_states(
    service: PaymentService,
    journal: PaymentJournal,
    sim: TerminalSimulator,
    scenario: Scenario,
    outcome_type: type,
    state: PaymentState,
) -> None:
    sim.set_scenario(scenario)
    reference = ref()
    assert isinstance(service.pay(amount_cents=250, reference=reference), outcome_type)
    assert journal.get(reference).state is state


def test_timed_out(
    journal: PaymentJournal,
    sim: TerminalSimulator,
    make_terminal: Callable[..., ZvtTerminal],
) -> None:
    sim.set_scenario(Scenario.TIMEOUT)
    service = PaymentService(terminal=make_terminal(customer=0.2), journal=journal)
    reference = ref()
    assert isinstance(service.pay(amount_cents=250, reference=reference), Cancelled)
    assert journal.get(reference).state is S.TIMED_OUT


def test_busy_is_not_sent(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.BUSY)
    reference = ref()
    with pytest.raises(TerminalBusy):
        service.pay(amount_cents=250, reference=reference)
    assert journal.get(reference).state is S.NOT_SENT
    sim.set_scenario(Scenario.APPROVE)
    assert isinstance(service.pay(amount_cents=250, reference=ref()), Approved)


def test_delivery_failure_reverses(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    reference = ref()
    service.pay(amount_cents=250, reference=reference)
    service.mark_delivering(reference)
    assert service.mark_delivery_failed(reference).state is S.REVERSED
    assert any(r.kind == "reversal" for r in sim.journal.records())


def test_delivery_failure_with_terminal_gone_stays_pending_then_recovers(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    reference = ref()
    service.pay(amount_cents=250, reference=reference)
    sim.set_scenario(Scenario.BUSY)
    assert service.mark_delivery_failed(reference).state is S.REVERSAL_PENDING
    sim.set_scenario(Scenario.APPROVE)
    service.recover()
    assert journal.get(reference).state is S.REVERSED


def test_power_loss_unknown_blocks_then_recovery_reverses(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.POWER_LOSS)
    reference = ref()
    outcome = service.pay(amount_cents=250, reference=reference)
    assert isinstance(outcome, Unknown)
    assert journal.get(reference).state is S.UNKNOWN
    with pytest.raises(PaymentsSuspended):
        service.pay(amount_cents=250, reference=ref())
    sim.set_scenario(Scenario.APPROVE)
    sim.restart()
    service.recover()
    # found approved on the terminal, never delivered: reversed, the resident pays nothing
    assert journal.get(reference).state is S.REVERSED
    path = [to for _, to in journal.history(reference)]
    assert path[-5:] == [
        S.RECOVERING,
        S.APPROVED,
        S.DELIVERY_FAILED,
        S.REVERSAL_PENDING,
        S.REVERSED,
    ]
    payments = [r for r in sim.journal.records() if r.kind == "payment"]
    assert len(payments) == 1  # never charged twice


def test_recovery_without_reversal_keeps_the_approval(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    sim.queue_scenarios(Scenario.CABLE_PULL)
    reference = ref()
    outcome = service.pay(amount_cents=250, reference=reference)
    # the line came back at once: the immediate lookup already found the approval
    assert isinstance(outcome, Approved)
    assert journal.get(reference).state is S.APPROVED


def test_unmatched_unknown_goes_to_manual_review(tmp_path: Path, terminal: ZvtTerminal) -> None:
    journal = PaymentJournal(tmp_path / "j.db")
    journal.create(reference="lost", amount_cents=999)
    journal.set_state("lost", S.SENDING)
    journal.set_state("lost", S.IN_PROGRESS)
    journal.create(reference="never", amount_cents=999)
    service = PaymentService(terminal=terminal, journal=journal)
    service.recover()
    assert journal.get("lost").state is S.MANUAL_REVIEW
    assert journal.get("never").state is S.NOT_SENT
    journal.close()

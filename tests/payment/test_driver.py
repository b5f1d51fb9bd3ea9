"""The ZVT driver through a real pty against the simulated terminal."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from hardware.payment.errors import TerminalBusy, TerminalNotReachable
from hardware.payment.model import (
    NOT_CHARGED,
    STATUS_ACCEPTED,
    Approved,
    Cancelled,
    Declined,
    Unknown,
)
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator

pytestmark = pytest.mark.serial


def ref() -> str:
    return f"t-{uuid.uuid4().hex}"


class Statuses:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, key: str) -> None:
        self.keys.append(key)


def test_approved_with_receipt_lines(terminal: ZvtTerminal) -> None:
    statuses = Statuses()
    reference = ref()
    outcome = terminal.pay(amount_cents=250, reference=reference, on_status=statuses)
    assert isinstance(outcome, Approved)
    assert outcome.amount_cents == 250
    assert outcome.reference == reference
    assert outcome.receipt_number
    assert outcome.auth_code
    assert outcome.card_brand == "Bancontact"
    assert outcome.masked_pan.endswith("1234")
    assert set(outcome.masked_pan[:-4]) == {"*"}
    assert outcome.terminal_id == "52500001"
    assert "AMOUNT EUR 2.50" in outcome.receipt_lines
    assert statuses.keys[0] == STATUS_ACCEPTED
    assert "payment.status.insert_card" in statuses.keys
    assert "payment.status.enter_pin" in statuses.keys


def test_declined(terminal: ZvtTerminal, sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.DECLINE)
    outcome = terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())
    assert isinstance(outcome, Declined)
    assert outcome.reason_code == msg.RESULT_DECLINED
    assert outcome.reason == "payment.declined"


def test_customer_cancel(terminal: ZvtTerminal, sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.CANCEL)
    outcome = terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())
    assert outcome == Cancelled(reference=outcome.reference, reason_code=msg.RESULT_ABORTED)


def test_card_timeout_aborts_from_the_kiosk(
    make_terminal: Callable[..., ZvtTerminal], sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.TIMEOUT)
    terminal = make_terminal(customer=0.3)
    outcome = terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())
    assert isinstance(outcome, Cancelled)
    assert outcome.timed_out
    assert msg.ECR_ABORT not in sim.commands  # sent as the answer, not as a command


def test_abort_from_another_thread(terminal: ZvtTerminal, sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.TIMEOUT)
    waiting = threading.Event()

    def on_status(key: str) -> None:
        if key == "payment.status.insert_card":
            waiting.set()

    def abort_when_waiting() -> None:
        if waiting.wait(5):
            terminal.abort()

    aborter = threading.Thread(target=abort_when_waiting)
    aborter.start()
    outcome = terminal.pay(amount_cents=250, reference=ref(), on_status=on_status)
    aborter.join()
    assert isinstance(outcome, Cancelled)
    assert not outcome.timed_out


def test_busy_terminal_raises_before_anything_is_charged(
    terminal: ZvtTerminal, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.BUSY)
    with pytest.raises(TerminalBusy):
        terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())
    assert sim.journal.records() == ()


def test_missing_port_is_not_reachable(tmp_path: Path) -> None:
    terminal = ZvtTerminal(str(tmp_path / "nothing"))
    with pytest.raises(TerminalNotReachable):
        terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario.SLOW,
        Scenario.NAK,
        Scenario.CORRUPT_CRC,
        Scenario.SPLIT,
        Scenario.SWALLOW_ACK,
        Scenario.LOST_FINAL_ACK,
    ],
)
def test_link_faults_still_approve_once(
    terminal: ZvtTerminal, sim: TerminalSimulator, scenario: Scenario
) -> None:
    sim.queue_scenarios(scenario)
    first = terminal.pay(amount_cents=250, reference=ref(), on_status=Statuses())
    assert isinstance(first, Approved)
    second = terminal.pay(amount_cents=400, reference=ref(), on_status=Statuses())
    assert isinstance(second, Approved)
    assert second.amount_cents == 400
    payments = [r for r in sim.journal.records() if r.kind == "payment"]
    assert [r.amount_cents for r in payments] == [250, 400]


def test_power_loss_after_approval_is_unknown_then_found(
    terminal: ZvtTerminal, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.POWER_LOSS)
    reference = ref()
    outcome = terminal.pay(amount_cents=250, reference=reference, on_status=Statuses())
    assert isinstance(outcome, Unknown)
    sim.set_scenario(Scenario.APPROVE)
    sim.restart()
    found = terminal.lookup(reference=reference, amount_cents=250, last_receipt="")
    assert isinstance(found, Approved)
    # an attempt journaled after that receipt never reached the terminal
    later = terminal.lookup(reference=ref(), amount_cents=250, last_receipt=found.receipt_number)
    assert isinstance(later, Cancelled)
    assert later.reason == NOT_CHARGED


def test_cable_pull_is_unknown_and_the_line_comes_back(
    terminal: ZvtTerminal, sim: TerminalSimulator
) -> None:
    sim.queue_scenarios(Scenario.CABLE_PULL)
    reference = ref()
    assert isinstance(
        terminal.pay(amount_cents=250, reference=reference, on_status=Statuses()), Unknown
    )
    assert isinstance(
        terminal.lookup(reference=reference, amount_cents=250, last_receipt=""), Approved
    )


def test_reversal_refund_end_of_day_and_receipts(
    terminal: ZvtTerminal, sim: TerminalSimulator
) -> None:
    paid = terminal.pay(amount_cents=700, reference=ref(), on_status=Statuses())
    assert isinstance(paid, Approved)
    assert "APPROVED" in terminal.repeat_receipt()
    reversed_ = terminal.reverse(receipt_number=paid.receipt_number)
    assert isinstance(reversed_, Approved)
    assert reversed_.amount_cents == 700
    again = terminal.reverse(receipt_number=paid.receipt_number)
    assert isinstance(again, Declined)
    assert again.reason == "payment.already_reversed"
    refund = terminal.refund(amount_cents=300)
    assert isinstance(refund, Approved)
    closing = terminal.end_of_day()
    assert closing.approved
    assert closing.total_cents == 0
    status = terminal.status_enquiry()
    assert status.ready
    assert status.terminal_id == "52500001"


def test_registration(terminal: ZvtTerminal, sim: TerminalSimulator) -> None:
    terminal.register()
    assert sim.commands[-1] == msg.REGISTRATION

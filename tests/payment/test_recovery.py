"""Recovery of a lost payment with what real terminals offer (no echoed ECR trace).

The decision table (`hardware.payment.recovery.decide`, the same as in CHECKLIST.md) as a pure
function, then each row through the real pty and the simulator: status enquiry, Repeat Receipt
(06 20) of the last transaction, and the receipt number the journal kept before the attempt.
"""

from __future__ import annotations

import pytest

from hardware.payment.errors import TerminalBusy
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import NOT_CHARGED, Approved
from hardware.payment.recovery import LastTransaction, Verdict, decide
from hardware.payment.service import PaymentService
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import decode_bmps
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator

S = PaymentState
pytestmark = pytest.mark.serial


def last(receipt: str, amount: int | None = 250, result: int = 0x00) -> LastTransaction:
    return LastTransaction(receipt_number=receipt, amount_cents=amount, result_code=result)


# (baseline receipt, terminal's last transaction, verdict) for an attempt of 250 cents
TABLE = [
    ("0007", last("0008"), Verdict.APPROVED),  # row 4: newer receipt, same amount, approved
    ("", last("0001"), Verdict.APPROVED),  # the terminal had none before
    ("0008", last("0008"), Verdict.NOT_CHARGED),  # row 5: nothing new since the attempt
    ("8", last("0008"), Verdict.NOT_CHARGED),  # the same number, written without zeros
    ("0007", last("0008", amount=400), Verdict.OTHER_TRANSACTION),  # row 6
    ("0007", last("0008", amount=None), Verdict.OTHER_TRANSACTION),
    ("0007", last("0008", result=0x05), Verdict.DECLINED),
    ("0007", last("0008", result=0x6C), Verdict.CANCELLED),
    ("", None, Verdict.NOT_CHARGED),  # the terminal holds nothing, nor did it before
    ("0007", None, Verdict.INCONCLUSIVE),  # memory cleared since: cannot tell
    (None, None, Verdict.INCONCLUSIVE),
    (None, last("0008"), Verdict.INCONCLUSIVE),  # no receipt known before the attempt
    ("0007", last(""), Verdict.INCONCLUSIVE),  # a last transaction without receipt number
]


@pytest.mark.parametrize(("baseline", "seen", "verdict"), TABLE)
def test_decision_table(
    baseline: str | None, seen: LastTransaction | None, verdict: Verdict
) -> None:
    found, why = decide(baseline=baseline, last=seen, amount_cents=250)
    assert found is verdict
    assert why


def test_authorisation_on_the_wire_has_no_trace_number(
    terminal: ZvtTerminal, sim: TerminalSimulator
) -> None:
    assert isinstance(
        terminal.pay(amount_cents=250, reference="a", on_status=lambda _k: None), Approved
    )
    sent = [a for a in sim.received if a.command == msg.AUTHORISATION]
    assert [[b.tag for b in decode_bmps(a.data)] for a in sent] == [[0x04, 0x49]]


def _lost_approval(service: PaymentService, sim: TerminalSimulator, *, amount: int) -> None:
    sim.set_scenario(Scenario.POWER_LOSS)
    service.pay(amount_cents=amount, reference="lost")
    assert service.journal.get("lost").state is S.UNKNOWN
    sim.set_scenario(Scenario.APPROVE)
    sim.restart()


def test_lost_approval_after_earlier_receipts_is_approved_then_reversed(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    first = service.pay(amount_cents=250, reference="earlier")
    assert isinstance(first, Approved)
    service.mark_completed("earlier")
    assert journal.last_receipt() == first.receipt_number
    _lost_approval(service, sim, amount=250)  # the same price: only the receipt number tells
    assert journal.get("lost").baseline_receipt == first.receipt_number
    service.recover()
    row = journal.get("lost")
    assert row.state is S.REVERSED
    charge = sim.journal.records()[-2]  # the lost approval, then its reversal
    assert (charge.kind, charge.reversed) == ("payment", True)
    assert row.receipt_number == f"{charge.receipt:04d}"
    assert row.trace == f"{charge.trace:06d}"
    assert row.auth_code == charge.auth_code


def test_attempt_that_never_reached_the_card_is_not_charged(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    first = service.pay(amount_cents=250, reference="earlier")
    assert isinstance(first, Approved)
    service.mark_completed("earlier")
    # journaled and accepted, then the kiosk died: the terminal never saw a card
    journal.create(reference="lost", amount_cents=250, baseline_receipt=journal.last_receipt())
    journal.set_state("lost", S.SENDING)
    journal.set_state("lost", S.IN_PROGRESS)
    service.recover()
    row = journal.get("lost")
    assert (row.state, row.detail) == (S.CANCELLED, NOT_CHARGED)
    assert len([r for r in sim.journal.records() if r.kind == "payment"]) == 1


def test_newer_receipt_for_another_amount_goes_to_staff(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    alerts: list[str] = []
    service = PaymentService(
        terminal=service.terminal,
        journal=journal,
        on_manual_review=lambda r: alerts.append(r.detail),
    )
    # another transaction (a refund from the service tool) after the attempt was journaled
    journal.create(reference="lost", amount_cents=250, baseline_receipt="")
    journal.set_state("lost", S.SENDING)
    journal.set_state("lost", S.IN_PROGRESS)
    refund = service.terminal.refund(amount_cents=700)
    assert isinstance(refund, Approved)
    service.recover()
    row = journal.get("lost")
    assert row.state is S.MANUAL_REVIEW
    assert "700" in row.detail
    assert alerts == [row.detail]


def test_busy_terminal_keeps_the_row_unknown(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    journal.create(reference="lost", amount_cents=250, baseline_receipt="")
    journal.set_state("lost", S.SENDING)
    journal.set_state("lost", S.IN_PROGRESS)
    sim.set_scenario(Scenario.BUSY)
    with pytest.raises(TerminalBusy):
        service.terminal.lookup(reference="lost", amount_cents=250, last_receipt="")
    service.recover()
    assert journal.get("lost").state is S.UNKNOWN  # asked again at the next recovery
    sim.set_scenario(Scenario.APPROVE)
    service.recover()
    assert journal.get("lost").state is S.CANCELLED


def test_first_payment_learns_the_terminal_receipt_before_sending(
    service: PaymentService, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    refund = service.terminal.refund(amount_cents=100)  # done before the kiosk's first payment
    assert isinstance(refund, Approved)
    assert journal.last_receipt() is None
    paid = service.pay(amount_cents=250, reference="first")
    assert isinstance(paid, Approved)
    assert journal.get("first").baseline_receipt == refund.receipt_number
    assert sim.commands.count(msg.REPEAT_RECEIPT) == 1
    assert isinstance(service.pay(amount_cents=250, reference="second"), Approved)
    assert sim.commands.count(msg.REPEAT_RECEIPT) == 1  # known from then on
    assert journal.get("second").baseline_receipt == paid.receipt_number

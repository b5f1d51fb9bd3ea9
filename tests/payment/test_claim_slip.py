"""Staff alert, claim slip and the card data the journal may hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.payment.journal import PaymentJournal, PaymentRecord, PaymentState, safe_masked_pan
from hardware.payment.model import Approved
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.simulators.zvt import Scenario, TerminalSimulator
from kiosk.claim_slip import INSTRUCTION_KEYS, TITLE_KEY, claim_code, claim_slip, format_amount

S = PaymentState
pytestmark = pytest.mark.serial


def review_row(journal: PaymentJournal, reference: str = "order-7") -> PaymentRecord:
    journal.create(reference=reference, amount_cents=1250)
    for state in (S.SENDING, S.IN_PROGRESS):
        journal.set_state(reference, state)
    journal.set_state(
        reference,
        S.APPROVED,
        receipt_number="0042",
        masked_pan="670300******1234",
        card_brand="Bancontact",
        terminal_id="52500001",
        trace="000042",
    )
    for state in (S.DELIVERY_FAILED, S.REVERSAL_PENDING):
        journal.set_state(reference, state)
    return journal.set_state(reference, S.MANUAL_REVIEW, detail="reversal refused")


@given(st.text(min_size=1, max_size=64))
def test_claim_code_is_stable_and_unambiguous(reference: str) -> None:
    code = claim_code(reference)
    assert code == claim_code(reference)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)


def test_claim_codes_differ_between_references() -> None:
    codes = {claim_code(f"order-{n}") for n in range(2000)}
    assert len(codes) == 2000


@given(st.text(alphabet="0123456789 *-", max_size=40))
def test_journal_never_keeps_more_than_six_plus_four_digits(pan: str) -> None:
    masked = safe_masked_pan(pan)
    assert len(masked) == len(pan)
    digits = [c for c in masked if c.isdigit()]
    assert len(digits) <= 10
    if sum(c.isdigit() for c in pan) <= 10:
        assert masked == pan


def test_full_pan_from_a_terminal_is_masked_in_the_journal(journal: PaymentJournal) -> None:
    journal.create(reference="r", amount_cents=100)
    journal.set_state("r", S.SENDING)
    journal.set_state("r", S.IN_PROGRESS)
    journal.set_state("r", S.APPROVED, masked_pan="6703001234561234")
    assert journal.get("r").masked_pan == "670300******1234"


def test_claim_slip_has_what_the_resident_and_staff_need(journal: PaymentJournal) -> None:
    record = review_row(journal)
    slip = claim_slip(record, commune="Namur", kiosk_id="K-03")
    assert slip.claim_code == claim_code("order-7")
    assert (slip.amount_cents, slip.receipt_number, slip.card_brand) == (1250, "0042", "Bancontact")
    assert slip.masked_pan == "670300******1234"
    assert (slip.terminal_id, slip.trace) == ("52500001", "000042")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", slip.date)
    assert re.fullmatch(r"\d{2}:\d{2}", slip.time)
    assert slip.title.key == TITLE_KEY
    keys = [line.key for line in slip.lines]
    assert all(key.startswith("payment.claim.") for key in keys)
    assert keys[-3:] == list(INSTRUCTION_KEYS)
    params = {k: v for line in slip.lines for k, v in line.params}
    assert params["amount"] == format_amount(1250) == "12,50"
    assert params["code"] == slip.claim_code
    assert params["commune"] == "Namur"


@pytest.mark.parametrize("state", [S.CREATED, S.NOT_SENT, S.APPROVED, S.COMPLETED, S.REVERSED])
def test_a_claim_slip_is_printed_whatever_state_the_order_was_left_in(
    journal: PaymentJournal, state: PaymentState
) -> None:
    # the kiosk calls staff about an order already charged (a second charge refused): paper still
    journal.create(reference="r", amount_cents=100)
    path = {
        S.CREATED: [],
        S.NOT_SENT: [S.NOT_SENT],
        S.APPROVED: [S.SENDING, S.IN_PROGRESS, S.APPROVED],
        S.COMPLETED: [S.SENDING, S.IN_PROGRESS, S.APPROVED, S.DELIVERING, S.COMPLETED],
        S.REVERSED: [S.SENDING, S.IN_PROGRESS, S.APPROVED, S.DELIVERY_FAILED],
    }[state]
    for step in path:
        journal.set_state("r", step)
    if state is S.REVERSED:
        journal.set_state("r", S.REVERSAL_PENDING)
        journal.set_state("r", S.REVERSED)
    slip = claim_slip(journal.get("r"), commune="Namur", kiosk_id="K")
    assert slip.claim_code == claim_code("r")
    assert slip.amount_cents == 100
    assert [line.key for line in slip.lines][-3:] == list(INSTRUCTION_KEYS)


def test_staff_alert_and_list_when_a_payment_is_lost(tmp_path: Path, terminal: ZvtTerminal) -> None:
    journal = PaymentJournal(tmp_path / "j.db")
    alerts: list[PaymentRecord] = []
    service = PaymentService(terminal=terminal, journal=journal, on_manual_review=alerts.append)
    journal.create(reference="lost", amount_cents=999)
    journal.set_state("lost", S.SENDING)
    journal.set_state("lost", S.IN_PROGRESS)  # the kiosk died; the terminal has no trace of it
    service.recover()
    assert [r.reference for r in alerts] == ["lost"]
    assert [r.reference for r in service.manual_review()] == ["lost"]
    slip = claim_slip(service.manual_review()[0], commune="Namur", kiosk_id="K")
    assert slip.amount_cents == 999
    journal.close()


def test_refused_reversal_goes_to_staff_with_refund_data(
    terminal: ZvtTerminal, journal: PaymentJournal, sim: TerminalSimulator
) -> None:
    alerts: list[PaymentRecord] = []
    service = PaymentService(terminal=terminal, journal=journal, on_manual_review=alerts.append)
    outcome = service.pay(amount_cents=250, reference="o1")
    assert isinstance(outcome, Approved)
    assert terminal.end_of_day().approved  # settled: the terminal can no longer reverse it
    record = service.mark_delivery_failed("o1")
    assert record.state is S.MANUAL_REVIEW
    assert alerts == [record]
    assert (record.amount_cents, record.receipt_number) == (250, outcome.receipt_number)
    assert (record.terminal_id, record.trace) == (outcome.terminal_id, outcome.trace)
    assert (record.masked_pan, record.card_brand) == (outcome.masked_pan, "Bancontact")
    assert record.created_at
    slip = claim_slip(record, commune="Namur", kiosk_id="K-03")
    assert slip.receipt_number == outcome.receipt_number
    assert sim.scenario is Scenario.APPROVE

"""The payment port's contract: the same scenarios on the fake and on the real adapter.

The real adapter drives the ZVT simulator over a pty through the payment service and its journal;
the fake is the one the core tests use. Both must report a payment, a decline, a resident's
cancel, the terminal's prompts, a reversal, a refused reversal and a claim slip alike, so the fake
cannot drift from the product.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.payment.journal import PaymentJournal
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import Scenario, TerminalSimulator
from kiosk import i18n
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.claim_slip import claim_code
from kiosk.ports import PaymentPort, PaymentResult, PaymentStatus
from tests.core.fakes import Completer, FakePayment
from tests.payment.conftest import FAST, SIM_TIMING

WAIT_S = 30.0

_FAKE_STATUS = {
    Scenario.APPROVE: PaymentStatus.APPROVED,
    Scenario.DECLINE: PaymentStatus.DECLINED,
    Scenario.CANCEL: PaymentStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    port: PaymentPort
    refuse_reversals: Callable[[], object]
    """From now on, reversals cannot be made (the day is closed on the terminal)."""
    next_payment: Callable[[Scenario], object]
    """How the terminal answers the next payment (the resident's card declined, the red key)."""


def _fake(_tmp_path: Path) -> Iterator[Contract]:
    completer = Completer(threaded=True)
    fake = FakePayment(completer)

    def refuse() -> None:
        fake.reverse_ok = False

    def next_payment(scenario: Scenario) -> None:
        fake.status = _FAKE_STATUS[scenario]

    yield Contract(port=fake, refuse_reversals=refuse, next_payment=next_payment)
    completer.close()


def _real(tmp_path: Path) -> Iterator[Contract]:
    sim = TerminalSimulator(
        link_path=tmp_path / "ttyZVT", journal_path=tmp_path / "terminal.json", timing=SIM_TIMING
    )
    sim.start()
    runner = DeviceRunner("payment")
    runner.start()
    adapter = ZvtPaymentAdapter(
        runner=runner,
        service_factory=lambda: PaymentService(
            terminal=ZvtTerminal(str(sim.link_path), timeouts=FAST),
            journal=PaymentJournal(tmp_path / "payments.db"),
        ),
        commune="Démo",
        kiosk_id="kiosk-test",
    )
    try:
        yield Contract(
            port=adapter, refuse_reversals=sim.journal.close_day, next_payment=sim.set_scenario
        )
    finally:
        runner.stop(close=adapter.close)
        sim.stop()


@pytest.fixture(params=["fake", "zvt"])
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contract]:
    make = _fake if request.param == "fake" else _real
    yield from make(tmp_path)


def _pay(
    port: PaymentPort, amount: int, *, on_prompt: Callable[[str], None] = lambda _k: None
) -> PaymentResult:
    reference = f"c-{uuid.uuid4().hex}"
    return port.pay(amount_cents=amount, reference=reference, on_prompt=on_prompt).result(
        timeout=WAIT_S
    )


def test_an_approved_payment_reports_its_amount_and_receipt(contract: Contract) -> None:
    paid = _pay(contract.port, 250)
    assert paid.status is PaymentStatus.APPROVED
    assert paid.amount_cents == 250
    assert paid.receipt_number


def test_a_reversal_reports_the_charged_amount_and_receipt(contract: Contract) -> None:
    paid = _pay(contract.port, 250)
    assert paid.receipt_number is not None
    done = contract.port.reverse(reference=paid.reference, receipt_number=paid.receipt_number)
    reversal = done.result(timeout=WAIT_S)
    assert reversal.status is PaymentStatus.APPROVED
    assert reversal.reference == paid.reference
    assert reversal.amount_cents == 250
    assert reversal.receipt_number == paid.receipt_number
    assert reversal.reason is None


def test_a_refused_reversal_is_unknown_and_yields_a_claim_slip(contract: Contract) -> None:
    paid = _pay(contract.port, 400)
    assert paid.receipt_number is not None
    contract.refuse_reversals()
    done = contract.port.reverse(reference=paid.reference, receipt_number=paid.receipt_number)
    reversal = done.result(timeout=WAIT_S)
    assert reversal.status is PaymentStatus.UNKNOWN
    assert reversal.amount_cents == 400
    assert reversal.reason == "manual_review"
    slip = contract.port.claim_slip(reference=paid.reference).result(timeout=WAIT_S)
    assert slip.claim_code == claim_code(paid.reference)
    assert slip.reference == paid.reference
    assert slip.amount_cents == 400


def test_a_declined_payment_charges_nothing_and_says_why(contract: Contract) -> None:
    contract.next_payment(Scenario.DECLINE)
    declined = _pay(contract.port, 250)
    assert declined.status is PaymentStatus.DECLINED
    assert declined.amount_cents == 250
    assert declined.receipt_number is None
    assert declined.reason == "payment.declined"


def test_the_residents_cancel_on_the_terminal_charges_nothing(contract: Contract) -> None:
    contract.next_payment(Scenario.CANCEL)
    cancelled = _pay(contract.port, 250)
    assert cancelled.status is PaymentStatus.CANCELLED
    assert cancelled.receipt_number is None
    assert cancelled.reason == "payment.cancelled"


def test_the_terminals_prompts_are_translated_in_every_language(contract: Contract) -> None:
    prompts: list[str] = []  # on_prompt runs on the port's thread, the list is read after
    paid = _pay(contract.port, 250, on_prompt=prompts.append)
    assert paid.status is PaymentStatus.APPROVED
    assert prompts
    for language in i18n.LANGUAGES:
        missing = {key for key in prompts if key not in i18n.catalog(language)}
        assert missing == set(), language


def test_the_claim_slip_of_an_approved_payment_carries_its_code_and_amount(
    contract: Contract,
) -> None:
    paid = _pay(contract.port, 650)
    slip = contract.port.claim_slip(reference=paid.reference).result(timeout=WAIT_S)
    assert slip.claim_code == claim_code(paid.reference)
    assert slip.amount_cents == 650
    assert slip.currency == "EUR"
    assert slip.receipt_number == paid.receipt_number

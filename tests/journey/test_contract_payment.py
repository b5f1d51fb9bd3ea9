"""The payment port's contract: the same scenarios on the fake and on the real adapter.

The real adapter drives the ZVT simulator over a pty through the payment service and its journal;
the fake is the one the core tests use. Both must report a payment, a reversal, a refused reversal
and a claim slip alike, so the fake cannot drift from the product.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.payment.claim import claim_code
from hardware.payment.journal import PaymentJournal
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import TerminalSimulator
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.ports import PaymentPort, PaymentResult, PaymentStatus
from tests.core.fakes import Completer, FakePayment
from tests.payment.conftest import FAST, SIM_TIMING

WAIT_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    port: PaymentPort
    refuse_reversals: Callable[[], object]
    """From now on, reversals cannot be made (the day is closed on the terminal)."""


def _fake(_tmp_path: Path) -> Iterator[Contract]:
    completer = Completer(threaded=True)
    fake = FakePayment(completer)

    def refuse() -> None:
        fake.reverse_ok = False

    yield Contract(port=fake, refuse_reversals=refuse)
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
        yield Contract(port=adapter, refuse_reversals=sim.journal.close_day)
    finally:
        runner.stop(close=adapter.close)
        sim.stop()


@pytest.fixture(params=["fake", "zvt"])
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contract]:
    make = _fake if request.param == "fake" else _real
    yield from make(tmp_path)


def _pay(port: PaymentPort, amount: int) -> PaymentResult:
    reference = f"c-{uuid.uuid4().hex}"
    return port.pay(amount_cents=amount, reference=reference, on_prompt=lambda _k: None).result(
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

"""Retry after a refusal, and cancel, through the payment adapter, the real driver and the simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hardware.payment.errors import AttemptNotAllowed, AttemptsExhausted
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import Approved, Cancelled
from hardware.payment.service import MAX_ATTEMPTS, PaymentService, attempt_reference
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.driver import GETTING_READY, ZvtTerminal
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import Scenario, TerminalSimulator
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.ports import PaymentStatus
from tests.payment.conftest import FAST

S = PaymentState
pytestmark = pytest.mark.serial


@pytest.fixture
def adapter(sim: TerminalSimulator, tmp_path: Path) -> Iterator[ZvtPaymentAdapter]:
    runner = DeviceRunner("payment-test")
    runner.start()

    def factory() -> PaymentService:
        terminal = ZvtTerminal(str(sim.link_path), timeouts=FAST)
        return PaymentService(terminal=terminal, journal=PaymentJournal(tmp_path / "p.db"))

    made = ZvtPaymentAdapter(runner=runner, service_factory=factory)
    made.start().result(timeout=30)
    yield made
    runner.stop(close=made.close)


def _ignore(key: str) -> None:
    del key


def test_attempt_references() -> None:
    assert attempt_reference("op-1", 1) == "op-1"
    assert attempt_reference("op-1", 2) == "op-1.2"
    with pytest.raises(ValueError):
        attempt_reference("op-1", 0)


def test_decline_then_retry_is_a_new_attempt(
    adapter: ZvtPaymentAdapter, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.DECLINE)
    first = adapter.pay(amount_cents=250, reference="op-1", on_prompt=_ignore).result(timeout=30)
    assert (first.status, first.reference, first.attempt) == (PaymentStatus.DECLINED, "op-1", 1)
    sim.set_scenario(Scenario.APPROVE)
    second = adapter.pay(amount_cents=250, reference="op-1", on_prompt=_ignore).result(timeout=30)
    assert (second.status, second.reference, second.attempt) == (
        PaymentStatus.APPROVED,
        "op-1.2",
        2,
    )
    adapter.complete(reference="op-1").result(timeout=30)
    assert adapter.pending_reviews().result(timeout=30) == ()


def test_attempts_run_out_with_a_clear_reason(
    adapter: ZvtPaymentAdapter, sim: TerminalSimulator
) -> None:
    sim.set_scenario(Scenario.DECLINE)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = adapter.pay(amount_cents=250, reference="op-2", on_prompt=_ignore).result(
            timeout=30
        )
        assert (result.status, result.attempt) == (PaymentStatus.DECLINED, attempt)
    charges_before = len(sim.commands)
    last = adapter.pay(amount_cents=250, reference="op-2", on_prompt=_ignore).result(timeout=30)
    assert last.status is PaymentStatus.DECLINED
    assert last.reason == "payment.too_many_attempts"
    assert len(sim.commands) == charges_before  # the terminal was not asked again


def test_no_new_attempt_after_an_approval(service: PaymentService) -> None:
    service.pay(amount_cents=100, reference="op-3")
    with pytest.raises(AttemptNotAllowed):
        service.next_attempt("op-3")


def test_exhausted_is_typed(service: PaymentService, sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.DECLINE)
    for _ in range(MAX_ATTEMPTS):
        _, reference = service.next_attempt("op-4")
        service.pay(amount_cents=100, reference=reference)
    with pytest.raises(AttemptsExhausted) as caught:
        service.next_attempt("op-4")
    assert caught.value.translation_key == "payment.too_many_attempts"


def test_cancel_sends_ecr_abort(adapter: ZvtPaymentAdapter, sim: TerminalSimulator) -> None:
    sim.set_scenario(Scenario.TIMEOUT)  # the terminal waits for a card
    prompted = threading.Event()

    def on_prompt(key: str) -> None:
        if key == "payment.status.insert_card":
            prompted.set()

    future = adapter.pay(amount_cents=250, reference="op-5", on_prompt=on_prompt)
    assert prompted.wait(timeout=30)
    adapter.cancel()
    result = future.result(timeout=30)
    assert result.status is PaymentStatus.CANCELLED
    assert msg.ECR_ABORT in sim.ecr_answers


def test_lookup_reads_the_status_enquiry_completion(
    terminal: ZvtTerminal, caplog: pytest.LogCaptureFixture
) -> None:
    paid = terminal.pay(amount_cents=420, reference="op-6", on_status=_ignore)
    assert isinstance(paid, Approved)
    with caplog.at_level("WARNING", logger="hardware.payment.zvt.codec"):
        found = terminal.lookup(reference="op-6", amount_cents=420, last_receipt="")
    assert isinstance(found, Approved)
    assert found.receipt_number == paid.receipt_number
    assert not [r for r in caplog.records if r.name == "hardware.payment.zvt.codec"]


# -- the least gap between two money transactions ------------------------------------------------


def _gapped(sim: TerminalSimulator, gap: float) -> ZvtTerminal:
    return ZvtTerminal(str(sim.link_path), timeouts=replace(FAST, between_transactions=gap))


def test_a_retry_waits_for_the_terminal_to_be_ready(sim: TerminalSimulator) -> None:
    """The second request leaves no sooner than the gap after the first began, and the resident
    is told the terminal is getting ready meanwhile."""
    terminal = _gapped(sim, 0.5)
    prompts: list[str] = []
    try:
        sim.set_scenario(Scenario.DECLINE)
        began = time.monotonic()
        terminal.pay(amount_cents=250, reference="gap-1", on_status=prompts.append)
        sim.set_scenario(Scenario.APPROVE)
        second = terminal.pay(amount_cents=250, reference="gap-1.2", on_status=prompts.append)
        assert isinstance(second, Approved)
        assert time.monotonic() - began >= 0.5
        assert prompts.count(GETTING_READY) == 1
        assert [c for c in sim.commands if c == msg.AUTHORISATION] == [msg.AUTHORISATION] * 2
    finally:
        terminal.close()


def test_cancel_while_the_terminal_gets_ready_sends_nothing(
    sim: TerminalSimulator, tmp_path: Path
) -> None:
    terminal = _gapped(sim, 30.0)
    service = PaymentService(terminal=terminal, journal=PaymentJournal(tmp_path / "g.db"))
    waiting = threading.Event()

    def on_status(key: str) -> None:
        if key == GETTING_READY:
            waiting.set()

    try:
        sim.set_scenario(Scenario.DECLINE)
        service.pay(amount_cents=250, reference="gap-2")
        sent = len(sim.commands)
        done: list[object] = []
        worker = threading.Thread(
            target=lambda: done.append(
                service.pay(amount_cents=250, reference="gap-2.2", on_status=on_status)
            )
        )
        worker.start()
        assert waiting.wait(timeout=30)
        service.cancel()
        worker.join(timeout=30)
        assert isinstance(done[0], Cancelled)
        assert service.journal.get("gap-2.2").state is S.CANCELLED
        assert len(sim.commands) == sent  # the terminal never heard of the second attempt
    finally:
        terminal.close()
        service.journal.close()

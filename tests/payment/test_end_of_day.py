"""End of day through the payment port: the terminal's totals per card brand (BMP 60)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.payment.errors import PaymentInProgress
from hardware.payment.journal import PaymentJournal
from hardware.payment.model import BrandTotal
from hardware.payment.service import PaymentService
from hardware.payment.zvt import messages as msg
from hardware.payment.zvt.codec import decode_apdu, decode_bmps
from hardware.payment.zvt.driver import ZvtTerminal
from hardware.payment.zvt.fields import StatusInformation, status_information
from hardware.runner import DeviceRunner
from hardware.simulators.zvt import TerminalSimulator
from kiosk.adapters.payment import ZvtPaymentAdapter
from tests.payment.conftest import FAST

pytestmark = pytest.mark.serial

# BMP 60 laid out as the specification's "individual totals" (PA00P015, BMP 60): receipt numbers
# 0012..0015 (BCD), then per group count (1 byte) and amount (6 bytes BCD): girocard 2 x 12.00,
# JCB 0, Eurocard 1 x 5.50, Amex 0, Visa 1 x 7.25, Diners 0, other 0.
BMP60 = (
    "60 F0 F5 F3"
    " 00 12 00 15"
    " 02 00 00 00 00 24 00"
    " 00 00 00 00 00 00 00"
    " 01 00 00 00 00 05 50"
    " 00 00 00 00 00 00 00"
    " 01 00 00 00 00 07 25"
    " 00 00 00 00 00 00 00"
    " 00 00 00 00 00 00 00"
)


def test_individual_totals_from_the_specification_layout() -> None:
    data = bytes.fromhex("27 00 04 00 00 00 00 36 75" + BMP60)
    info = msg.parse_terminal_message(decode_apdu(bytes([0x04, 0x0F, len(data)]) + data))
    assert isinstance(info, StatusInformation)
    assert info.amount_cents == 3675
    assert info.totals is not None
    assert (info.totals.first_receipt, info.totals.last_receipt) == (12, 15)
    counts = {g.group: (g.count, g.amount_cents) for g in info.totals.groups}
    assert counts["girocard"] == (2, 2400)
    assert counts["Eurocard"] == (1, 550)
    assert counts["Visa"] == (1, 725)
    assert sum(c for c, _ in counts.values()) == 4
    assert status_information(info).data == data  # the simulator sends the same bytes
    assert [b.tag for b in decode_bmps(data)] == [0x27, 0x04, 0x60]


@pytest.fixture
def adapter(sim: TerminalSimulator, tmp_path: Path) -> Iterator[ZvtPaymentAdapter]:
    runner = DeviceRunner("payment-eod")
    runner.start()

    def factory() -> PaymentService:
        terminal = ZvtTerminal(str(sim.link_path), timeouts=FAST)
        return PaymentService(terminal=terminal, journal=PaymentJournal(tmp_path / "p.db"))

    made = ZvtPaymentAdapter(runner=runner, service_factory=factory)
    made.start().result(timeout=30)
    yield made
    runner.stop(close=made.close)


def _pay(adapter: ZvtPaymentAdapter, reference: str, cents: int) -> None:
    adapter.pay(amount_cents=cents, reference=reference, on_prompt=lambda _k: None).result(30)
    adapter.complete(reference=reference).result(30)


def test_end_of_day_totals_per_brand_through_the_port(
    adapter: ZvtPaymentAdapter, sim: TerminalSimulator
) -> None:
    _pay(adapter, "o1", 250)
    sim.card = ("Visa", "412345******0001")
    _pay(adapter, "o2", 700)
    _pay(adapter, "o3", 300)
    closing = adapter.end_of_day().result(timeout=30)
    assert closing.approved
    assert closing.total_cents == 1250
    assert set(closing.totals) == {
        BrandTotal(brand="Visa", count=2, amount_cents=1000),
        BrandTotal(brand="other", count=1, amount_cents=250),
    }
    assert closing.count == 3
    assert (closing.first_receipt, closing.last_receipt) == ("0001", "0003")
    assert "END OF DAY" in closing.receipt_lines
    again = adapter.end_of_day().result(timeout=30)  # nothing since the closure
    assert (again.totals, again.total_cents) == ((), 0)


def test_no_closure_while_a_payment_runs(service: PaymentService) -> None:
    assert service._busy.acquire()
    try:
        with pytest.raises(PaymentInProgress):
            service.end_of_day()
    finally:
        service._busy.release()

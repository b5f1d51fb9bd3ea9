"""Payment: one ZVT payment at 9600 8N2 against its line-time floor, and start-up recovery times.

The simulator paces every byte it sends at the 8N2 character time of 9600 baud (11 bits a byte);
the floor is the time those bytes need on the line, so the ratio shows what the driver and the
dialogue add. Recovery: a payment is left in each of four journal states as a power loss of the
kiosk would leave it (SENDING: nothing reached the terminal; IN_PROGRESS: the terminal approved
but the kiosk died before reading the answer; UNKNOWN: the answer was lost; DELIVERING: approved,
documents not delivered), then `PaymentService.recover()` is timed on a fresh driver.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.model import Approved
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts
from hardware.simulators.zvt import Scenario, SimTiming, TerminalSimulator
from hardware.simulators.zvt.faults import char_time

S = PaymentState
BAUD = 9600
TIMEOUTS = ZvtTimeouts(inter_byte=0.2, command=2.0, ack=0.5, silence=3.0, customer=10.0)
TIMING = SimTiming(step=0.0, status_interval=0.05, reply=1.0, ack=0.2, reboot_time=0.5)


def _ignore(key: str) -> None:
    del key


def _payment_at_9600(folder: Path) -> list[Figure]:
    timing = SimTiming(
        step=0.0, status_interval=0.05, reply=2.0, ack=0.5, baudrate=BAUD, card_timeout=10.0
    )
    with TerminalSimulator(
        link_path=folder / "tty9600", journal_path=folder / "t9600.json", timing=timing
    ) as sim:
        terminal = ZvtTerminal(sim.address, timeouts=TIMEOUTS)
        try:
            start = time.perf_counter()
            outcome = terminal.pay(amount_cents=250, reference="bench-9600", on_status=_ignore)
            elapsed = time.perf_counter() - start
        finally:
            terminal.close()
        sim.wait_idle(5.0)
        sent = sim.bytes_written
    if not isinstance(outcome, Approved):
        raise RuntimeError(f"benchmark payment not approved: {outcome!r}")
    floor = sent * char_time(BAUD)
    return [
        Figure(name="payment at 9600 8N2", value=elapsed * 1000, unit="ms"),
        Figure(
            name="line-time floor (terminal bytes × 11 bits / 9600)",
            value=floor * 1000,
            unit="ms",
            note=f"{sent} bytes",
        ),
        Figure(name="payment / floor", value=elapsed / floor, unit="ratio"),
    ]


def _leave(state: PaymentState, sim: TerminalSimulator, journal: PaymentJournal) -> str:
    """Leave one row in `state` as a power loss of the kiosk would."""
    reference = f"bench-{state.value}"
    terminal = ZvtTerminal(sim.address, timeouts=TIMEOUTS)
    try:
        # as the service journals an attempt: with the terminal's newest receipt number
        baseline = terminal.last_receipt() if state in (S.SENDING, S.IN_PROGRESS) else None
        if state is S.SENDING:
            journal.create(reference=reference, amount_cents=300, baseline_receipt=baseline)
            journal.set_state(reference, S.SENDING)
        elif state is S.IN_PROGRESS:
            journal.create(reference=reference, amount_cents=300, baseline_receipt=baseline)
            journal.set_state(reference, S.SENDING)
            journal.set_state(reference, S.IN_PROGRESS)
            terminal.pay(amount_cents=300, reference=reference, on_status=_ignore)
        elif state is S.UNKNOWN:
            sim.set_scenario(Scenario.POWER_LOSS)
            PaymentService(terminal=terminal, journal=journal).pay(
                amount_cents=300, reference=reference
            )
            sim.restart()
            sim.set_scenario(Scenario.APPROVE)
        else:
            service = PaymentService(terminal=terminal, journal=journal)
            service.pay(amount_cents=300, reference=reference)
            service.mark_delivering(reference)
    finally:
        terminal.close()
    if journal.get(reference).state is not state:
        raise RuntimeError(f"could not leave a row in {state}: {journal.get(reference).state}")
    return reference


def _recovery(folder: Path, state: PaymentState) -> Figure:
    with TerminalSimulator(
        link_path=folder / f"tty-{state.value}",
        journal_path=folder / f"t-{state.value}.json",
        timing=TIMING,
    ) as sim:
        journal = PaymentJournal(folder / f"p-{state.value}.db")
        try:
            reference = _leave(state, sim, journal)
            terminal = ZvtTerminal(sim.address, timeouts=TIMEOUTS)
            try:
                service = PaymentService(terminal=terminal, journal=journal)
                start = time.perf_counter()
                service.recover()
                elapsed = time.perf_counter() - start
            finally:
                terminal.close()
            final = journal.get(reference).state
        finally:
            journal.close()
    return Figure(
        name=f"recovery from {state.name}", value=elapsed * 1000, unit="ms", note=f"→ {final.name}"
    )


def run() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="borne-bench-payment-"))
    try:
        figures = _payment_at_9600(folder)
        for state in (S.SENDING, S.IN_PROGRESS, S.UNKNOWN, S.DELIVERING):
            figures.append(_recovery(folder, state))
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""A writer for the power-cut test: records payments and outbox messages as the kiosk does, and
prints each number once both are committed (one line each, flushed)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from hardware.payment.journal import PaymentJournal, PaymentState
from offline_queue.outbox import Outbox
from offline_queue.wire import DayCounters


def main(folder: Path, count: int) -> None:
    journal = PaymentJournal(folder / "payments.sqlite")
    with Outbox(folder / "outbox.sqlite") as outbox:
        for n in range(count):
            reference = f"op-{n:05d}"
            journal.create(reference=reference, amount_cents=250 + n)
            journal.set_state(reference, PaymentState.SENDING)
            outbox.enqueue(
                operation_id=reference,
                kind="day_counters",
                payload=DayCounters(day=date(2026, 12, 2), documents=n),
            )
            sys.stdout.write(f"{n}\n")
            sys.stdout.flush()
    journal.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))

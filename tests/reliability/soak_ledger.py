"""After the soak: nothing paid or recorded is lost (see `tests.reliability.soak`).

Read from the stores themselves, after the kiosk stopped: the payment journal (every payment the
terminal approved ends COMPLETED, REVERSED or MANUAL_REVIEW, none is left unresolved), the outbox
(nothing left undelivered) and the central server's database (each order's outcome and each issued
document exactly once, the outcome the one the journal implies).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hardware.payment.journal import PaymentJournal, PaymentState
from hardware.payment.service import order_reference
from kiosk.config import KioskConfig
from kiosk.records import issued_operation_id
from kiosk.report import JourneyReport
from offline_queue.outbox import Outbox

P = PaymentState
SETTLED = {P.COMPLETED: "completed", P.REVERSED: "reversed", P.MANUAL_REVIEW: "reversal_failed"}
DRAIN_S = 120.0


def drain(kiosk: Any) -> bool:
    """Hand the outbox to the central until it is empty (the central may just be back)."""
    deadline = time.monotonic() + DRAIN_S
    pause = threading.Event()
    while time.monotonic() < deadline:
        kiosk.sync.deliver_now().result(timeout=DRAIN_S)
        if kiosk.sync.pending().result(timeout=DRAIN_S) == 0:
            return True
        pause.wait(1.0)  # the central's back-off: a second, then ask again
    return False


def _central_rows(
    central_db: Path, kiosk_id: str
) -> tuple[Counter[str], dict[str, str], Counter[str]]:
    db = sqlite3.connect(f"file:{central_db}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT operation_id, outcome FROM records WHERE kiosk_id = ?", (kiosk_id,)
        ).fetchall()
        documents = db.execute(
            "SELECT document_id FROM documents WHERE kiosk_id = ?", (kiosk_id,)
        ).fetchall()
    finally:
        db.close()
    return (
        Counter(op for op, _ in rows),
        {op: outcome for op, outcome in rows},
        Counter(d for (d,) in documents),
    )


def check(
    config: KioskConfig, *, central_db: Path, reports: Sequence[JourneyReport]
) -> dict[str, object]:
    """The ledger's figures and its `problems` (empty: nothing lost, nothing twice)."""
    problems: list[str] = []
    journal = PaymentJournal(config.payment.journal)
    try:
        payments = journal.in_states(frozenset(PaymentState))
        approved = [
            p for p in payments if any(to is P.APPROVED for _, to in journal.history(p.reference))
        ]
    finally:
        journal.close()
    with Outbox(config.central.outbox) as outbox:
        pending = outbox.pending_count()
    if pending:
        problems.append(f"{pending} records still in the outbox")
    counts, outcomes, documents = _central_rows(central_db, config.kiosk_id)
    for payment in approved:
        order = order_reference(payment.reference)
        if payment.state not in SETTLED:
            problems.append(f"approved payment {payment.reference} left {payment.state.value}")
        elif counts[order] != 1:
            problems.append(f"order {order} at the central {counts[order]} times")
        elif outcomes[order] != SETTLED[payment.state]:
            problems.append(f"order {order}: central {outcomes[order]}, journal {payment.state}")
    for report in reports:
        if report.document_ids and counts[report.operation_id] != 1:
            problems.append(
                f"order {report.operation_id} at the central {counts[report.operation_id]} times"
            )
        for document_id in report.document_ids:
            if counts[issued_operation_id(document_id)] != 1 or documents[document_id] > 1:
                problems.append(f"document {document_id} not at the central exactly once")
    twice = [op for op, n in counts.items() if n > 1]
    problems += [f"{op} recorded {counts[op]} times" for op in twice]
    return {
        "payments": len(payments),
        "payment_states": dict(Counter(p.state.value for p in payments)),
        "approved": len(approved),
        "central_records": sum(counts.values()),
        "central_documents": sum(documents.values()),
        "outbox_pending": pending,
        "problems": problems,
    }

"""Write-ahead payment journal (SQLite, WAL, synchronous=FULL, BEGIN IMMEDIATE).

Every attempt is a row keyed by its unique reference; its state changes only through `_set_state`,
which checks the declared transition table inside one immediate transaction. No card data is stored
beyond the masked PAN and the brand.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from hardware.errors import BorneError
from hardware.payment.errors import DuplicateReference, InvalidTransition, UnknownPayment

log = logging.getLogger(__name__)


class PaymentState(StrEnum):
    CREATED = "created"
    SENDING = "sending"
    NOT_SENT = "not_sent"
    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    DELIVERING = "delivering"
    COMPLETED = "completed"
    DELIVERY_FAILED = "delivery_failed"
    REVERSAL_PENDING = "reversal_pending"
    REVERSED = "reversed"
    MANUAL_REVIEW = "manual_review"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    UNKNOWN = "unknown"
    RECOVERING = "recovering"


S = PaymentState
TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    S.CREATED: frozenset({S.SENDING, S.NOT_SENT}),
    S.SENDING: frozenset({S.NOT_SENT, S.IN_PROGRESS, S.UNKNOWN, S.RECOVERING}),
    S.IN_PROGRESS: frozenset(
        {S.APPROVED, S.DECLINED, S.CANCELLED, S.TIMED_OUT, S.UNKNOWN, S.RECOVERING}
    ),
    S.APPROVED: frozenset({S.DELIVERING, S.DELIVERY_FAILED}),
    S.DELIVERING: frozenset({S.COMPLETED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.REVERSAL_PENDING}),
    S.REVERSAL_PENDING: frozenset({S.REVERSED, S.MANUAL_REVIEW}),
    S.UNKNOWN: frozenset({S.RECOVERING}),
    S.RECOVERING: frozenset(
        {S.APPROVED, S.DECLINED, S.CANCELLED, S.NOT_SENT, S.UNKNOWN, S.MANUAL_REVIEW}
    ),
}
FINAL_STATES = frozenset(s for s in PaymentState if s not in TRANSITIONS)
# Rows in these states mean the terminal may hold money we do not know about: no new payment.
BLOCKING_STATES = frozenset({S.CREATED, S.SENDING, S.IN_PROGRESS, S.UNKNOWN, S.RECOVERING})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    receipt_number TEXT NOT NULL DEFAULT '',
    auth_code TEXT NOT NULL DEFAULT '',
    masked_pan TEXT NOT NULL DEFAULT '',
    card_brand TEXT NOT NULL DEFAULT '',
    terminal_id TEXT NOT NULL DEFAULT '',
    trace TEXT NOT NULL DEFAULT '',
    reason_code INTEGER,
    receipt_lines TEXT NOT NULL DEFAULT '[]',
    detail TEXT NOT NULL DEFAULT '',
    baseline_receipt TEXT
);
CREATE TABLE IF NOT EXISTS terminal_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

_FIELDS = (
    "receipt_number",
    "auth_code",
    "masked_pan",
    "card_brand",
    "terminal_id",
    "trace",
    "reason_code",
    "receipt_lines",
    "detail",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    reference: str
    amount_cents: int
    currency: str
    state: PaymentState
    created_at: str
    updated_at: str
    receipt_number: str = ""
    auth_code: str = ""
    masked_pan: str = ""
    card_brand: str = ""
    terminal_id: str = ""
    trace: str = ""
    reason_code: int | None = None
    receipt_lines: tuple[str, ...] = ()
    detail: str = ""
    baseline_receipt: str | None = None  # newest receipt known before the attempt (None: unknown)


_LAST_RECEIPT = "last_receipt"


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


_DIGIT = re.compile(r"\d")


def safe_masked_pan(pan: str) -> str:
    """At most the first six and the last four digits of a card number; every other digit is '*'.

    Applied to whatever a terminal reports, so the journal never holds a full card number even if a
    terminal sends one unmasked.
    """
    digits = [m.start() for m in _DIGIT.finditer(pan)]
    hidden = set(digits) - set(digits[:6] + digits[-4:])
    return "".join("*" if i in hidden else c for i, c in enumerate(pan))


class JournalUnavailable(BorneError):
    """The journal cannot be opened or is not a sound database: no payment may be taken."""

    translation_key = "payment.unavailable"


class PaymentJournal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise JournalUnavailable(f"cannot open the payment journal {self.path}") from err
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {r["name"] for r in self._db.execute("PRAGMA table_info(payments)")}
            if "baseline_receipt" not in columns:  # a journal written before receipts were kept
                self._db.execute("ALTER TABLE payments ADD COLUMN baseline_receipt TEXT")
        except sqlite3.Error as err:
            self._db.close()
            raise JournalUnavailable(f"the payment journal {self.path} is unusable") from err

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(
        self,
        *,
        reference: str,
        amount_cents: int,
        currency: str = "EUR",
        baseline_receipt: str | None = None,
    ) -> PaymentRecord:
        """Journal an attempt before it is sent, with the terminal's newest receipt number known
        at that moment (what recovery compares the terminal's last receipt with)."""
        now = _now()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT INTO payments (reference, amount_cents, currency, state, created_at,"
                    " updated_at, baseline_receipt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        reference,
                        amount_cents,
                        currency,
                        S.CREATED.value,
                        now,
                        now,
                        baseline_receipt,
                    ),
                )
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError as err:
                self._db.execute("ROLLBACK")
                raise DuplicateReference(f"reference {reference} already used") from err
        log.info("payment journaled", extra={"reference": reference, "amount": amount_cents})
        return self.get(reference)

    def set_state(self, reference: str, state: PaymentState, **fields: Any) -> PaymentRecord:
        """Move one row to `state` (validated against `TRANSITIONS`) and update outcome fields."""
        with self._lock:
            self._set_state(reference, state, fields)
        return self.get(reference)

    def _set_state(self, reference: str, state: PaymentState, fields: dict[str, Any]) -> None:
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise ValueError(f"not journal fields: {sorted(unknown)}")
        if "receipt_lines" in fields:
            fields["receipt_lines"] = json.dumps(list(fields["receipt_lines"]))
        if "masked_pan" in fields:
            fields["masked_pan"] = safe_masked_pan(str(fields["masked_pan"]))
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute(
                "SELECT state FROM payments WHERE reference = ?", (reference,)
            ).fetchone()
            if row is None:
                raise UnknownPayment(f"no payment {reference}")
            current = PaymentState(row["state"])
            if state not in TRANSITIONS.get(current, frozenset()):
                raise InvalidTransition(f"{current} -> {state} not allowed for {reference}")
            now = _now()
            assignments = ", ".join(f"{name} = ?" for name in fields)
            sql = "UPDATE payments SET state = ?, updated_at = ?"
            sql += f", {assignments}" if assignments else ""
            self._db.execute(
                sql + " WHERE reference = ?", (state.value, now, *fields.values(), reference)
            )
            self._db.execute(
                "INSERT INTO transitions (reference, from_state, to_state, at) VALUES (?,?,?,?)",
                (reference, current.value, state.value, now),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        log.info(
            "payment state changed",
            extra={"reference": reference, "from_state": current.value, "to_state": state.value},
        )

    def note_receipt(self, receipt_number: str) -> None:
        """The terminal reported this receipt number (payment, refusal, reversal, refund...)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO terminal_state (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_LAST_RECEIPT, receipt_number),
            )

    def last_receipt(self) -> str | None:
        """The newest receipt number the terminal reported ("" = it had none; None = unknown)."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM terminal_state WHERE key = ?", (_LAST_RECEIPT,)
            ).fetchone()
        return None if row is None else str(row["value"])

    def get(self, reference: str) -> PaymentRecord:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM payments WHERE reference = ?", (reference,)
            ).fetchone()
        if row is None:
            raise UnknownPayment(f"no payment {reference}")
        return _record(row)

    def in_states(self, states: frozenset[PaymentState]) -> list[PaymentRecord]:
        marks = ",".join("?" for _ in states)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM payments WHERE state IN ({marks}) ORDER BY id",  # noqa: S608
                tuple(s.value for s in states),
            ).fetchall()
        return [_record(r) for r in rows]

    def unresolved(self) -> list[PaymentRecord]:
        return self.in_states(frozenset(TRANSITIONS))

    def history(self, reference: str) -> list[tuple[PaymentState, PaymentState]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT from_state, to_state FROM transitions WHERE reference = ? ORDER BY id",
                (reference,),
            ).fetchall()
        return [(PaymentState(r[0]), PaymentState(r[1])) for r in rows]


def _record(row: sqlite3.Row) -> PaymentRecord:
    return PaymentRecord(
        reference=row["reference"],
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        state=PaymentState(row["state"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        receipt_number=row["receipt_number"],
        auth_code=row["auth_code"],
        masked_pan=row["masked_pan"],
        card_brand=row["card_brand"],
        terminal_id=row["terminal_id"],
        trace=row["trace"],
        reason_code=row["reason_code"],
        receipt_lines=tuple(json.loads(row["receipt_lines"])),
        detail=row["detail"],
        baseline_receipt=row["baseline_receipt"],
    )

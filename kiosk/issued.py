"""The kiosk's own durable list of the documents it sealed, written before each is printed.

One row per sealed document: its order, id, type and verification code, and the CUPS job id once
the job is submitted. The rows hold no personal data. At start-up, the rows of orders not settled
yet tell recovery what may have come out of the printer (`kiosk.recovery`); an order's rows are
deleted once its outcome is in the outbox (`settle`).

SQLite in WAL mode with synchronous=FULL, like the payment journal: a row committed before the
print job was submitted survives a crash or a power cut. Used from the signer, printer and sync
threads and at start-up, each call under one lock.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issued (
    document_id TEXT PRIMARY KEY,
    order_reference TEXT NOT NULL,
    document_type TEXT NOT NULL,
    verification_code TEXT NOT NULL DEFAULT '',
    order_size INTEGER NOT NULL DEFAULT 1,
    sealed_at TEXT NOT NULL,
    job_id INTEGER
);
CREATE INDEX IF NOT EXISTS issued_by_order ON issued (order_reference);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedRow:
    document_id: str
    order_reference: str
    document_type: str
    verification_code: str
    job_id: int | None
    order_size: int = 1


class IssuanceLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self,
        *,
        order_reference: str,
        document_id: str,
        document_type: str,
        verification_code: str,
        order_size: int = 1,
    ) -> None:
        """The document is sealed: committed before anything is handed to the printer."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO issued (document_id, order_reference, document_type,"
                " verification_code, order_size, sealed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    document_id,
                    order_reference,
                    document_type,
                    verification_code,
                    order_size,
                    datetime.now(tz=UTC).isoformat(),
                ),
            )
        log.info("issuance_logged", extra={"document_id": document_id})

    def set_job(self, document_id: str, job_id: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE issued SET job_id = ? WHERE document_id = ?", (job_id, document_id)
            )

    def open_orders(self) -> Mapping[str, tuple[IssuedRow, ...]]:
        """The rows of every order not settled yet, in sealing order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT document_id, order_reference, document_type, verification_code, job_id,"
                " order_size FROM issued ORDER BY rowid"
            ).fetchall()
        orders: dict[str, list[IssuedRow]] = {}
        for document_id, order, document_type, code, job_id, size in rows:
            orders.setdefault(order, []).append(
                IssuedRow(
                    document_id=document_id,
                    order_reference=order,
                    document_type=document_type,
                    verification_code=code,
                    job_id=job_id,
                    order_size=size,
                )
            )
        return {order: tuple(found) for order, found in orders.items()}

    def settle(self, order_reference: str) -> int:
        """The order's outcome is in the outbox: its rows are no longer needed."""
        with self._lock:
            done = self._db.execute(
                "DELETE FROM issued WHERE order_reference = ?", (order_reference,)
            ).rowcount
        if done:
            log.info("issuance_settled", extra={"operation_id": order_reference, "rows": done})
        return int(done)

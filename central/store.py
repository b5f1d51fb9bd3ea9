"""Storage of the central server.

`CentralStore` is the interface the web layer uses; `SqliteCentralStore` implements it with stdlib
`sqlite3` (WAL, `synchronous=FULL`, explicit schema version). A PostgreSQL store can come later
behind the same protocol.

Records are de-duplicated forever on `(kiosk_id, operation_id)`, so a kiosk may resend a batch as
often as it likes. The store keeps no personal data: records and heartbeats carry none.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from central.errors import StoreError
from offline_queue.wire import (
    BatchAck,
    Heartbeat,
    IssuanceRecord,
    KioskList,
    KioskStatus,
    RecordBatch,
    RecordPage,
    StoredRecord,
)

logger = logging.getLogger(__name__)

_MIGRATIONS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE records (
        seq INTEGER PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        record_json TEXT NOT NULL,
        UNIQUE (kiosk_id, operation_id)
    );
    CREATE TABLE documents (
        document_id TEXT PRIMARY KEY,
        record_seq INTEGER NOT NULL REFERENCES records(seq),
        kiosk_id TEXT NOT NULL,
        document_type TEXT,
        issued_at TEXT NOT NULL
    );
    CREATE TABLE kiosks (
        kiosk_id TEXT PRIMARY KEY,
        received_at TEXT NOT NULL,
        heartbeat_json TEXT NOT NULL
    );
    """,
    # 2: the verification code printed on each document (12 lower-case hex digits; NULL for
    # documents reported by kiosks that did not send codes yet)
    """
    ALTER TABLE documents ADD COLUMN verification_code TEXT;
    """,
)
SCHEMA_VERSION: Final = len(_MIGRATIONS)
MAX_PAGE: Final = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentIssue:
    """What the server knows about one issued document (for the public verification page)."""

    document_id: str
    document_type: str | None
    kiosk_id: str
    issued_at: datetime
    verification_code: str | None = None
    """12 lower-case hex digits, or None when the kiosk did not report it."""


class CentralStore(Protocol):
    def add_records(self, batch: RecordBatch, *, received_at: datetime) -> BatchAck: ...

    def list_records(
        self, *, kiosk_id: str | None = None, after: int = 0, limit: int = 100
    ) -> RecordPage: ...

    def find_document(self, document_id: str) -> DocumentIssue | None: ...

    def record_heartbeat(self, heartbeat: Heartbeat, *, received_at: datetime) -> None: ...

    def list_kiosks(self) -> KioskList: ...

    def close(self) -> None: ...


class SqliteCentralStore:
    """`CentralStore` on one SQLite file; safe to share between the server's worker threads."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the central database {path}") from err
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as err:
            self._db.close()
            raise StoreError(f"cannot prepare the central database {path}") from err

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    def _migrate(self) -> None:
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(f"database schema {version} is newer than {SCHEMA_VERSION}")
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={number:d}")

    # -- records -------------------------------------------------------------------------------

    def add_records(self, batch: RecordBatch, *, received_at: datetime) -> BatchAck:
        accepted: list[str] = []
        duplicates: list[str] = []
        try:
            with self._write() as db:
                for record in batch.records:
                    if self._insert_record(db, record, received_at=received_at):
                        accepted.append(record.operation_id)
                    else:
                        duplicates.append(record.operation_id)
        except sqlite3.Error as err:
            raise StoreError("cannot store the records") from err
        return BatchAck(
            batch_id=batch.batch_id, accepted=tuple(accepted), duplicates=tuple(duplicates)
        )

    @staticmethod
    def _insert_record(
        db: sqlite3.Connection, record: IssuanceRecord, *, received_at: datetime
    ) -> bool:
        cursor = db.execute(
            "INSERT INTO records (kiosk_id, operation_id, occurred_at, received_at, outcome,"
            " record_json) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(kiosk_id, operation_id) DO NOTHING",
            (
                record.kiosk_id,
                record.operation_id,
                record.occurred_at.isoformat(),
                received_at.isoformat(),
                record.outcome,
                record.model_dump_json(),
            ),
        )
        if cursor.rowcount != 1:
            return False
        types = record.documents if len(record.documents) == len(record.document_ids) else ()
        codes = record.document_codes  # the wire model checked: () or one per document id
        for index, document_id in enumerate(record.document_ids):
            inserted = db.execute(
                "INSERT INTO documents (document_id, record_seq, kiosk_id, document_type,"
                " issued_at, verification_code) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(document_id) DO NOTHING",
                (
                    document_id,
                    cursor.lastrowid,
                    record.kiosk_id,
                    types[index] if types else None,
                    record.occurred_at.isoformat(),
                    codes[index] if codes else None,
                ),
            )
            if inserted.rowcount != 1:
                logger.warning(
                    "document id reported twice",
                    extra={"document_id": document_id, "operation_id": record.operation_id},
                )
        return True

    def list_records(
        self, *, kiosk_id: str | None = None, after: int = 0, limit: int = 100
    ) -> RecordPage:
        limit = max(1, min(limit, MAX_PAGE))
        sql = "SELECT seq, received_at, record_json FROM records WHERE seq > ?"
        params: list[object] = [after]
        if kiosk_id is not None:
            sql += " AND kiosk_id = ?"
            params.append(kiosk_id)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit + 1)
        with self._read() as db:
            rows = db.execute(sql, params).fetchall()
        page = [
            StoredRecord(
                seq=seq,
                received_at=datetime.fromisoformat(received),
                record=IssuanceRecord.model_validate_json(body),
            )
            for seq, received, body in rows[:limit]
        ]
        next_after = page[-1].seq if len(rows) > limit else None
        return RecordPage(records=tuple(page), next_after=next_after)

    def find_document(self, document_id: str) -> DocumentIssue | None:
        with self._read() as db:
            row = db.execute(
                "SELECT document_id, document_type, kiosk_id, issued_at, verification_code"
                " FROM documents WHERE document_id = ?",
                (document_id,),
            ).fetchone()
        if row is None:
            return None
        return DocumentIssue(
            document_id=row[0],
            document_type=row[1],
            kiosk_id=row[2],
            issued_at=datetime.fromisoformat(row[3]),
            verification_code=row[4],
        )

    # -- fleet ---------------------------------------------------------------------------------

    def record_heartbeat(self, heartbeat: Heartbeat, *, received_at: datetime) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO kiosks (kiosk_id, received_at, heartbeat_json) VALUES (?, ?, ?)"
                    " ON CONFLICT(kiosk_id) DO UPDATE SET received_at = excluded.received_at,"
                    " heartbeat_json = excluded.heartbeat_json",
                    (heartbeat.kiosk_id, received_at.isoformat(), heartbeat.model_dump_json()),
                )
        except sqlite3.Error as err:
            raise StoreError("cannot store the heartbeat") from err

    def list_kiosks(self) -> KioskList:
        with self._read() as db:
            rows = db.execute(
                "SELECT kiosk_id, received_at, heartbeat_json FROM kiosks ORDER BY kiosk_id"
            ).fetchall()
        return KioskList(
            kiosks=tuple(
                KioskStatus(
                    kiosk_id=kiosk_id,
                    received_at=datetime.fromisoformat(received),
                    heartbeat=Heartbeat.model_validate_json(body),
                )
                for kiosk_id, received, body in rows
            )
        )

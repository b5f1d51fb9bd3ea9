"""Storage of the central server.

`CentralStore` is the interface the web layer uses; `SqlCentralStore` implements it with
SQLAlchemy 2 on the tables of `central.db` (an embedded SQLite file or PostgreSQL by URL; the
schema comes from the Alembic migrations). Several server processes may share one PostgreSQL
database: every guarantee below is enforced by the database's constraints, not by process memory.

Records are de-duplicated forever on `(kiosk_id, operation_id)`, so a kiosk may resend a batch as
often as it likes. The store keeps no personal data: records and heartbeats carry none. Every list
is paged (`after` a key, at most `MAX_PAGE` rows).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from central import db
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


class DocumentIdTaken(StoreError):
    """A record reports a document id that another kiosk already holds: the batch is refused."""


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

    def list_kiosks(self, *, after: str | None = None, limit: int = 100) -> KioskList: ...

    def check(self) -> None:
        """Raise `StoreError` when the database cannot answer a query."""

    def close(self) -> None: ...


class SqlCentralStore:
    """`CentralStore` on a SQLAlchemy engine; safe to share between the server's worker threads."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self._engine = db.create_engine(url)
        self._dialect = self._engine.dialect.name
        # SQLite has one writer at a time: serialise this process's writers instead of letting
        # them meet SQLITE_BUSY. PostgreSQL needs no such lock (constraints do the work).
        self._write_lock: threading.Lock | None = (
            threading.Lock() if self._dialect == "sqlite" else None
        )
        if migrate:
            try:
                db.migrate(self._engine)
            except StoreError:
                self._engine.dispose()
                raise

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _write(self, what: str) -> Iterator[sa.Connection]:
        with self._write_lock or nullcontext():
            try:
                with self._engine.begin() as connection:
                    yield connection
            except sa.exc.SQLAlchemyError as err:
                raise StoreError(f"cannot store {what}") from err

    @contextmanager
    def _read(self, what: str) -> Iterator[sa.Connection]:
        try:
            with self._engine.connect() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as err:
            raise StoreError(f"cannot read {what}") from err

    def _insert(self, table: sa.Table) -> Any:
        """An INSERT that can say ON CONFLICT in this database's dialect."""
        return postgresql.insert(table) if self._dialect == "postgresql" else sqlite.insert(table)

    def check(self) -> None:
        with self._read("the database") as connection:
            connection.execute(sa.select(sa.func.count()).select_from(db.kiosks)).scalar_one()

    # -- records -------------------------------------------------------------------------------

    def add_records(self, batch: RecordBatch, *, received_at: datetime) -> BatchAck:
        accepted: list[str] = []
        duplicates: list[str] = []
        with self._write("the records") as connection:
            for record in batch.records:
                if self._insert_record(connection, record, received_at=received_at):
                    accepted.append(record.operation_id)
                else:
                    duplicates.append(record.operation_id)
        return BatchAck(
            batch_id=batch.batch_id, accepted=tuple(accepted), duplicates=tuple(duplicates)
        )

    def _insert_record(
        self, connection: sa.Connection, record: IssuanceRecord, *, received_at: datetime
    ) -> bool:
        statement = (
            self._insert(db.records)
            .values(
                kiosk_id=record.kiosk_id,
                operation_id=record.operation_id,
                occurred_at=record.occurred_at.isoformat(),
                received_at=received_at.isoformat(),
                outcome=record.outcome,
                record_json=record.model_dump_json(),
            )
            .on_conflict_do_nothing(index_elements=["kiosk_id", "operation_id"])
            .returning(db.records.c.seq)
        )
        seq = connection.execute(statement).scalar_one_or_none()
        if seq is None:
            return False
        types = record.documents if len(record.documents) == len(record.document_ids) else ()
        codes = record.document_codes  # the wire model checked: () or one per document id
        for index, document_id in enumerate(record.document_ids):
            inserted = connection.execute(
                self._insert(db.documents)
                .values(
                    document_id=document_id,
                    record_seq=seq,
                    kiosk_id=record.kiosk_id,
                    document_type=types[index] if types else None,
                    issued_at=record.occurred_at.isoformat(),
                    verification_code=codes[index] if codes else None,
                    holder_ref=record.holder_ref,
                )
                .on_conflict_do_nothing(index_elements=["document_id"])
                .returning(db.documents.c.document_id)
            ).scalar_one_or_none()
            if inserted is None:
                holder = connection.execute(
                    sa.select(db.documents.c.kiosk_id).where(
                        db.documents.c.document_id == document_id
                    )
                ).scalar_one_or_none()
                if holder != record.kiosk_id:
                    logger.warning(
                        "document id held by another kiosk",
                        extra={"document_id": document_id, "operation_id": record.operation_id},
                    )
                    raise DocumentIdTaken("document id held by another kiosk")
                # the kiosk reports each document when sealed, then again with the order's outcome
                logger.debug(
                    "document id reported twice",
                    extra={"document_id": document_id, "operation_id": record.operation_id},
                )
        return True

    def list_records(
        self, *, kiosk_id: str | None = None, after: int = 0, limit: int = 100
    ) -> RecordPage:
        limit = max(1, min(limit, MAX_PAGE))
        table = db.records
        query = sa.select(table.c.seq, table.c.received_at, table.c.record_json).where(
            table.c.seq > after
        )
        if kiosk_id is not None:
            query = query.where(table.c.kiosk_id == kiosk_id)
        query = query.order_by(table.c.seq).limit(limit + 1)
        with self._read("the records") as connection:
            rows = connection.execute(query).all()
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
        table = db.documents
        query = sa.select(
            table.c.document_id,
            table.c.document_type,
            table.c.kiosk_id,
            table.c.issued_at,
            table.c.verification_code,
        ).where(table.c.document_id == document_id)
        with self._read("the documents") as connection:
            row = connection.execute(query).first()
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
        insert = self._insert(db.kiosks).values(
            kiosk_id=heartbeat.kiosk_id,
            received_at=received_at.isoformat(),
            heartbeat_json=heartbeat.model_dump_json(),
        )
        statement = insert.on_conflict_do_update(
            index_elements=["kiosk_id"],
            set_={
                "received_at": insert.excluded.received_at,
                "heartbeat_json": insert.excluded.heartbeat_json,
            },
        )
        with self._write("the heartbeat") as connection:
            connection.execute(statement)

    def list_kiosks(self, *, after: str | None = None, limit: int = 100) -> KioskList:
        limit = max(1, min(limit, MAX_PAGE))
        table = db.kiosks
        query = sa.select(table.c.kiosk_id, table.c.received_at, table.c.heartbeat_json)
        if after is not None:
            query = query.where(table.c.kiosk_id > after)
        query = query.order_by(table.c.kiosk_id).limit(limit + 1)
        with self._read("the kiosks") as connection:
            rows = connection.execute(query).all()
        page = tuple(
            KioskStatus(
                kiosk_id=kiosk_id,
                received_at=datetime.fromisoformat(received),
                heartbeat=Heartbeat.model_validate_json(body),
            )
            for kiosk_id, received, body in rows[:limit]
        )
        next_after = page[-1].kiosk_id if len(rows) > limit else None
        return KioskList(kiosks=page, next_after=next_after)

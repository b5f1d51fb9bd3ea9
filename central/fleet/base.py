"""Shared ground of the fleet's stores: transactions, dialect-aware inserts, events and the audit.

Times are epoch seconds from the injected clock. Events (the kiosk's timeline) and the operator
audit carry short machine words and ids, never personal data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from central.db import relaxed_engine
from central.errors import StoreError
from central.fleet import tables as t

Clock = Callable[[], float]
MAX_PAGE: Final = 500
EVENTS_KEPT: Final = 5000
"""Timeline events kept per kiosk; older ones are pruned."""


def iso(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def page_limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


class FleetDb:
    """The engine with its transactions; SQLite's writers of this process are serialised."""

    def __init__(self, engine: sa.Engine, *, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.dialect = engine.dialect.name
        self._write_lock: threading.Lock | None = (
            threading.Lock() if self.dialect == "sqlite" else None
        )
        self._relaxed = relaxed_engine(engine)

    @contextmanager
    def write(self, what: str, *, durable: bool = True) -> Iterator[sa.Connection]:
        """One transaction. `durable=False` commits it without waiting for the disk
        (`central.db.relaxed_engine`): safe against a crash of the server, and on a power cut it
        loses at most the last such transactions, never one committed durably (a kiosk's state
        that its next heartbeat brings again)."""
        engine = self.engine if durable or self._relaxed is None else self._relaxed
        dance = not durable and self._relaxed is None and self.dialect == "sqlite"
        with self._write_lock or nullcontext():
            try:
                with engine.connect() as connection:
                    if dance:
                        _synchronous(connection, "NORMAL")
                    try:
                        with connection.begin():
                            if not durable and self.dialect == "postgresql":
                                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                            yield connection
                    finally:
                        if dance:
                            _synchronous(connection, "FULL")
            except sa.exc.SQLAlchemyError as err:
                raise StoreError(f"cannot store {what}") from err

    @contextmanager
    def read(self, what: str) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as err:
            raise StoreError(f"cannot read {what}") from err

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that can say ON CONFLICT in this database's dialect."""
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    def event(
        self,
        connection: sa.Connection,
        *,
        kiosk_id: str,
        kind: str,
        ref: str | None = None,
        detail: str = "",
        at: float | None = None,
    ) -> None:
        """Append one event to the kiosk's timeline (pruned to `EVENTS_KEPT`)."""
        seq = connection.execute(
            sa.insert(t.fleet_events)
            .values(
                kiosk_id=kiosk_id,
                at=self.clock() if at is None else at,
                kind=kind,
                ref=ref,
                detail=detail[:500],
            )
            .returning(t.fleet_events.c.seq)
        ).scalar_one()
        if seq % 64 == 0:
            prune(connection, t.fleet_events, kiosk_id=kiosk_id, keep=EVENTS_KEPT)

    def audit(
        self, connection: sa.Connection, *, actor: str, action: str, target: str, detail: str = ""
    ) -> None:
        """Record one operator action (who, what, when, on what); no personal data."""
        connection.execute(
            sa.insert(t.operator_audit).values(
                at=self.clock(),
                actor=actor[:128],
                action=action[:64],
                target=target[:200],
                detail=detail[:500],
            )
        )


def _synchronous(connection: sa.Connection, level: str) -> None:
    """Set SQLite's `synchronous` between transactions (it does not change inside one)."""
    connection.exec_driver_sql(f"PRAGMA synchronous={level}")
    connection.commit()


def prune(connection: sa.Connection, table: sa.Table, *, kiosk_id: str, keep: int) -> None:
    """Delete a kiosk's rows of `table` but its newest `keep` (by `seq`)."""
    cutoff = connection.execute(
        sa.select(table.c.seq)
        .where(table.c.kiosk_id == kiosk_id)
        .order_by(table.c.seq.desc())
        .offset(keep)
        .limit(1)
    ).scalar_one_or_none()
    if cutoff is not None:
        connection.execute(
            sa.delete(table).where(table.c.kiosk_id == kiosk_id, table.c.seq <= cutoff)
        )

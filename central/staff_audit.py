"""The kiosks' staff audit at the central: stored per kiosk, the chain checked on ingest.

`POST /api/v1/staff-audit` takes a kiosk's `StaffAuditBatch` (the kiosk named by its own
credential). Each event's hash is recomputed from what arrived (`offline_queue.wire.event_hash`)
and its link to the event before it checked (`link_break`): a sequence gap, a wrong previous hash,
or a sequence number already held with other content is a break. Each break is kept once in
`staff_audit_breaks` (unique per kiosk, sequence number and kind) and opens the fleet alert
`audit_chain_broken` in the same transaction, so a kiosk sending the same batch again, or two
server processes taking it together, raise it once. The event of a replayed sequence number is not
stored (the first one stays), the others are, so the console shows where the chain broke.

`GET /api/v1/kiosks/{kiosk_id}/staff-audit` (operator) and the console page list the events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Query, Request

from central import db
from central.console.staff_audit_page import install_staff_audit_page
from central.fleet import FleetService
from central.fleet.alerts import AlertKind
from central.fleet.mail import AlertMail
from central.fleet.router import FleetApiError
from central.guard import GuardRule, Role, principal_of
from central.openapi import RowBefore
from offline_queue.wire import (
    ErrorCode,
    StaffAuditAck,
    StaffAuditBatch,
    StaffAuditEvent,
    WireModel,
)
from offline_queue.wire_staff import MAX_STAFF_EVENTS, ChainBreak, event_hash, link_break

logger = logging.getLogger(__name__)

INGEST_PATH: Final = "/api/v1/staff-audit"
LIST_PATH: Final = "/api/v1/kiosks/{kiosk_id}/staff-audit"
_BATCH_BODY: Final = MAX_STAFF_EVENTS * 2048
_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

staff_events = sa.Table(
    "staff_audit_events",
    db.metadata,
    sa.Column("kiosk_id", sa.String(128), primary_key=True),
    sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("occurred_at", sa.Float(), nullable=False),
    sa.Column("received_at", sa.Float(), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("event_hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("event_json", sa.Text(), nullable=False),
)

staff_breaks = sa.Table(
    "staff_audit_breaks",
    db.metadata,
    sa.Column("break_id", _Seq, primary_key=True, autoincrement=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("found_at", sa.Float(), nullable=False),
    sa.Column("received_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("kiosk_id", "seq", "kind", name="uq_staff_audit_breaks"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredStaffEvent:
    seq: int
    occurred_at: datetime
    received_at: datetime
    actor: str
    role: str
    action: str
    event_hash: str
    breaks: tuple[str, ...]
    """The breaks found at this event (empty: it follows the one before it)."""
    detail: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainBreakView:
    seq: int
    kind: str
    found_at: datetime


class StaffAuditPage(WireModel):
    """A kiosk's staff events, newest first, with the chain's state."""

    kiosk_id: str
    chain_ok: bool
    events: tuple[StaffAuditEvent, ...]
    breaks: tuple[tuple[int, str], ...]


class StaffAuditBook:
    """The staff events and chain breaks of every kiosk, on the fleet's engine."""

    def __init__(self, fleet: FleetService) -> None:
        self._fleet = fleet
        self._db = fleet.db

    def ingest(self, batch: StaffAuditBatch) -> StaffAuditAck:
        now = self._db.clock()
        accepted: list[int] = []
        duplicates: list[int] = []
        conflicts: list[int] = []
        mails: list[AlertMail] = []
        with self._db.write("the staff audit") as connection:
            for event in sorted(batch.events, key=lambda e: e.seq):
                digest = event_hash(event)
                # the insert decides (a unique key): two servers taking one batch store it once
                if self._insert(connection, event, digest=digest, now=now):
                    accepted.append(event.seq)
                    found = self._links(connection, event, digest=digest)
                elif self._hash_at(connection, batch.kiosk_id, event.seq) == digest:
                    duplicates.append(event.seq)
                    continue
                else:
                    conflicts.append(event.seq)
                    found = [(event.seq, ChainBreak.REPLAYED_SEQ)]
                for seq, why in found:
                    mail = self._break(connection, batch.kiosk_id, seq, why, digest=digest, now=now)
                    if mail is not None:
                        mails.append(mail)
            chain_ok = not self._has_breaks(connection, batch.kiosk_id)
        self._fleet.mail_alerts(mails)
        if conflicts or not chain_ok:
            logger.warning(
                "staff audit chain broken",
                extra={"kiosk_id": batch.kiosk_id, "conflicts": len(conflicts)},
            )
        return StaffAuditAck(
            accepted=tuple(accepted),
            duplicates=tuple(duplicates),
            conflicts=tuple(conflicts),
            chain_ok=chain_ok,
        )

    def _hash_at(self, connection: sa.Connection, kiosk_id: str, seq: int) -> str | None:
        c = staff_events.c
        found = connection.execute(
            sa.select(c.event_hash).where(c.kiosk_id == kiosk_id, c.seq == seq)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def _prev_hash_at(self, connection: sa.Connection, kiosk_id: str, seq: int) -> str | None:
        c = staff_events.c
        found = connection.execute(
            sa.select(c.prev_hash).where(c.kiosk_id == kiosk_id, c.seq == seq)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def _insert(
        self, connection: sa.Connection, event: StaffAuditEvent, *, digest: str, now: float
    ) -> bool:
        """Store a new event; False when its sequence number is already held."""
        stored = connection.execute(
            self._db.insert(staff_events)
            .values(
                kiosk_id=event.kiosk_id,
                seq=event.seq,
                occurred_at=event.occurred_at.timestamp(),
                received_at=now,
                actor=event.actor,
                role=event.role,
                action=event.action,
                event_hash=digest,
                prev_hash=event.prev_hash,
                event_json=event.model_dump_json(),
            )
            .on_conflict_do_nothing(index_elements=["kiosk_id", "seq"])
            .returning(staff_events.c.seq)
        ).scalar_one_or_none()
        return stored is not None

    def _links(
        self, connection: sa.Connection, event: StaffAuditEvent, *, digest: str
    ) -> list[tuple[int, ChainBreak]]:
        """The breaks at a newly stored event, and at the next one if that came first."""
        previous = (
            self._hash_at(connection, event.kiosk_id, event.seq - 1) if event.seq > 1 else None
        )
        found: list[tuple[int, ChainBreak]] = []
        why = link_break(event, previous_hash=previous)
        if why is not None:
            found.append((event.seq, why))
        following = self._prev_hash_at(connection, event.kiosk_id, event.seq + 1)
        if following is not None and following != digest:
            found.append((event.seq + 1, ChainBreak.WRONG_PREVIOUS_HASH))
        return found

    def _break(
        self,
        connection: sa.Connection,
        kiosk_id: str,
        seq: int,
        why: ChainBreak,
        *,
        digest: str,
        now: float,
    ) -> AlertMail | None:
        """Keep the break once; the alert's mail when it was opened here."""
        added = connection.execute(
            self._db.insert(staff_breaks)
            .values(kiosk_id=kiosk_id, seq=seq, kind=why.value, found_at=now, received_hash=digest)
            .on_conflict_do_nothing(index_elements=["kiosk_id", "seq", "kind"])
            .returning(staff_breaks.c.break_id)
        ).scalar_one_or_none()
        if added is None:
            return None
        self._db.event(
            connection, kiosk_id=kiosk_id, kind="audit_chain_broken", ref=str(seq), detail=why
        )
        return self._fleet.alerts.open(
            connection,
            kiosk_id=kiosk_id,
            kind=AlertKind.AUDIT_CHAIN_BROKEN,
            detail=f"seq={seq} {why.value}",
            now=now,
        )

    def _has_breaks(self, connection: sa.Connection, kiosk_id: str) -> bool:
        c = staff_breaks.c
        return (
            connection.execute(sa.select(c.break_id).where(c.kiosk_id == kiosk_id).limit(1)).first()
            is not None
        )

    def breaks(self, kiosk_id: str) -> tuple[ChainBreakView, ...]:
        c = staff_breaks.c
        with self._db.read("the staff audit") as connection:
            rows = connection.execute(
                sa.select(c.seq, c.kind, c.found_at)
                .where(c.kiosk_id == kiosk_id)
                .order_by(c.seq, c.break_id)
            ).all()
        return tuple(
            ChainBreakView(
                seq=int(r.seq), kind=str(r.kind), found_at=datetime.fromtimestamp(r.found_at, UTC)
            )
            for r in rows
        )

    def events(
        self, kiosk_id: str, *, before: int | None = None, limit: int = 100
    ) -> tuple[StaffAuditEvent, ...]:
        """The kiosk's events, newest first (`before`: a sequence number, for the next page)."""
        c = staff_events.c
        query = sa.select(c.event_json).where(c.kiosk_id == kiosk_id)
        if before is not None:
            query = query.where(c.seq < before)
        with self._db.read("the staff audit") as connection:
            rows = connection.execute(
                query.order_by(c.seq.desc()).limit(max(1, min(limit, 500)))
            ).all()
        return tuple(StaffAuditEvent.model_validate_json(r.event_json) for r in rows)

    def page(self, kiosk_id: str, *, before: int | None = None, limit: int = 100) -> StaffAuditPage:
        breaks = self.breaks(kiosk_id)
        return StaffAuditPage(
            kiosk_id=kiosk_id,
            chain_ok=not breaks,
            events=self.events(kiosk_id, before=before, limit=limit),
            breaks=tuple((b.seq, b.kind) for b in breaks),
        )

    def stored(
        self, kiosk_id: str, *, before: int | None = None, limit: int = 100
    ) -> tuple[StoredStaffEvent, ...]:
        """The console's rows: each event with the breaks found at it."""
        at: dict[int, list[str]] = {}
        for found in self.breaks(kiosk_id):
            at.setdefault(found.seq, []).append(found.kind)
        c = staff_events.c
        query = sa.select(staff_events).where(c.kiosk_id == kiosk_id)
        if before is not None:
            query = query.where(c.seq < before)
        with self._db.read("the staff audit") as connection:
            rows = connection.execute(
                query.order_by(c.seq.desc()).limit(max(1, min(limit, 500)))
            ).all()
        return tuple(_stored(row, at.get(int(row.seq), [])) for row in rows)


def _stored(row: sa.Row[tuple[object, ...]], breaks: Sequence[str]) -> StoredStaffEvent:
    event = StaffAuditEvent.model_validate_json(str(row.event_json))
    return StoredStaffEvent(
        seq=event.seq,
        occurred_at=event.occurred_at,
        received_at=datetime.fromtimestamp(float(row.received_at), UTC),
        actor=event.actor,
        role=event.role,
        action=event.action,
        event_hash=str(row.event_hash),
        breaks=tuple(breaks),
        detail=dict(event.detail),
    )


def _book(request: Request) -> StaffAuditBook:
    book: StaffAuditBook = request.app.state.staff_audit
    return book


router = APIRouter()


@router.post(INGEST_PATH)
def ingest(batch: StaffAuditBatch, request: Request) -> StaffAuditAck:
    """A kiosk's staff events; a kiosk speaks only for itself."""
    if principal_of(request) != batch.kiosk_id:
        raise FleetApiError(
            status=403, code=ErrorCode.FORBIDDEN, message="a kiosk speaks only for itself"
        )
    return _book(request).ingest(batch)


@router.get(LIST_PATH)
def list_events(
    kiosk_id: str,
    request: Request,
    before: RowBefore = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StaffAuditPage:
    return _book(request).page(kiosk_id[:128], before=before, limit=limit)


def install(app: FastAPI, fleet: FleetService) -> dict[tuple[str, str], GuardRule]:
    """Add the staff audit's routes and its console page to `app`; their guard rules are returned."""
    app.state.staff_audit = StaffAuditBook(fleet)
    app.include_router(router)
    install_staff_audit_page(app)
    return {
        ("POST", INGEST_PATH): GuardRule(role=Role.KIOSK, max_body_bytes=_BATCH_BODY),
        ("GET", LIST_PATH): GuardRule(role=Role.OPERATOR, max_body_bytes=0),
    }

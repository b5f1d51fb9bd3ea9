"""Heartbeats: the bounded history, each kiosk's status, the alerts a heartbeat opens or resolves,
and the sweep that marks silent kiosks offline.

The sweep is one conditional UPDATE (`online AND last_seen < now - offline_after`): under two
server processes on PostgreSQL, the row lock lets only one of them flip a kiosk, and the alert's
unique `open_key` would refuse a second alert anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from central import db as central_db
from central.fleet import tables as t
from central.fleet.alertbook import AlertBook
from central.fleet.alerts import (
    FORECAST_WINDOW_S,
    HEARTBEAT_KINDS,
    AlertKind,
    Thresholds,
    heartbeat_findings,
    paper_days_left,
    printer_health,
    resident_call_findings,
)
from central.fleet.base import FleetDb, prune
from central.fleet.mail import AlertMail
from offline_queue.wire import Heartbeat


@dataclass(frozen=True, slots=True, kw_only=True)
class _Statements:
    """The statements of a steady heartbeat, built once: SQLAlchemy then only binds values and
    finds the compiled form in its cache (building them per request was most of their cost)."""

    latest: Any
    history: Any
    window_start: Any
    still_online: Any

    @classmethod
    def build(cls, db: FleetDb) -> _Statements:
        insert = db.insert(central_db.kiosks)
        h, s = t.fleet_heartbeats.c, t.fleet_status.c
        return cls(
            latest=insert.on_conflict_do_update(
                index_elements=["kiosk_id"],
                set_={
                    "received_at": insert.excluded.received_at,
                    "heartbeat_json": insert.excluded.heartbeat_json,
                },
            ),
            history=sa.insert(t.fleet_heartbeats).returning(h.seq),
            window_start=sa.select(h.received_at, h.pages_printed_total)
            .where(
                h.kiosk_id == sa.bindparam("b_kiosk"),
                h.pages_printed_total.is_not(None),
                h.received_at >= sa.bindparam("b_since"),
            )
            .order_by(h.seq)
            .limit(1),
            still_online=sa.update(t.fleet_status)
            .where(s.kiosk_id == sa.bindparam("b_kiosk"), s.online == sa.true())
            .values(last_seen=sa.bindparam("b_now"), days_until_empty=sa.bindparam("b_days")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatOutcome:
    mails: tuple[AlertMail, ...]
    days_until_empty: float | None
    came_back: bool


class HeartbeatLog:
    def __init__(
        self,
        db: FleetDb,
        alerts: AlertBook,
        *,
        thresholds: Thresholds,
        history: int,
        offline_after_s: float,
    ) -> None:
        self._db = db
        self._alerts = alerts
        self._thresholds = thresholds
        self._history = history
        self._offline_after_s = offline_after_s
        self._sql = _Statements.build(db)

    def ingest(
        self, connection: sa.Connection, hb: Heartbeat, *, now: float, json: str | None = None
    ) -> HeartbeatOutcome:
        """Store one heartbeat and bring the kiosk's status and heartbeat alerts up to date
        (`json`: the heartbeat already serialised, when the caller has it)."""
        printer = printer_health(hb)
        pages_now = printer.pages_printed_total if printer is not None else None
        pages_left = printer.pages_left if printer is not None else None
        earlier = self._window_start(connection, hb.kiosk_id, now=now) if pages_now else None
        days = paper_days_left(pages_left=pages_left, now=now, pages_now=pages_now, earlier=earlier)
        seq = connection.execute(
            self._sql.history,
            {
                "kiosk_id": hb.kiosk_id,
                "received_at": now,
                "sent_at": hb.sent_at.timestamp(),
                "pages_printed_total": pages_now,
                "pages_left": pages_left,
                "heartbeat_json": hb.model_dump_json() if json is None else json,
            },
        ).scalar_one()
        if seq % 32 == 0:
            prune(connection, t.fleet_heartbeats, kiosk_id=hb.kiosk_id, keep=self._history)
        came_back = self._mark_online(connection, hb.kiosk_id, now=now, days=days)
        mails: list[AlertMail] = []
        active = self._alerts.active_kinds(connection, kiosk_id=hb.kiosk_id)
        if came_back and AlertKind.OFFLINE in active:
            self._alerts.resolve(connection, kiosk_id=hb.kiosk_id, kind=AlertKind.OFFLINE, now=now)
        findings = heartbeat_findings(
            hb,
            received_at=datetime.fromtimestamp(now, tz=UTC),
            days_until_empty=days,
            thresholds=self._thresholds,
        )
        for kind in HEARTBEAT_KINDS:
            finding = findings.get(kind)
            if finding is not None and kind not in active:
                mail = self._alerts.open(
                    connection, kiosk_id=hb.kiosk_id, kind=kind, detail=finding.detail, now=now
                )
                if mail is not None:
                    mails.append(mail)
            elif finding is None and kind in active:
                self._alerts.resolve(connection, kiosk_id=hb.kiosk_id, kind=kind, now=now)
        for kind, finding in resident_call_findings(hb).items():  # help, card left: in service
            mail = self._alerts.open(
                connection, kiosk_id=hb.kiosk_id, kind=kind, detail=finding.detail, now=now
            )
            if mail is not None:
                mails.append(mail)
        return HeartbeatOutcome(mails=tuple(mails), days_until_empty=days, came_back=came_back)

    def _window_start(
        self, connection: sa.Connection, kiosk_id: str, *, now: float
    ) -> tuple[float, int] | None:
        row = connection.execute(
            self._sql.window_start, {"b_kiosk": kiosk_id, "b_since": now - FORECAST_WINDOW_S}
        ).one_or_none()
        return (float(row.received_at), int(row.pages_printed_total)) if row else None

    def _mark_online(
        self, connection: sa.Connection, kiosk_id: str, *, now: float, days: float | None
    ) -> bool:
        """Update the kiosk's status (one statement while it stays online); True when it was
        offline until now."""
        still = connection.execute(
            self._sql.still_online, {"b_kiosk": kiosk_id, "b_now": now, "b_days": days}
        ).rowcount
        if still:
            return False
        c = t.fleet_status.c
        back = connection.execute(
            sa.update(t.fleet_status)
            .where(c.kiosk_id == kiosk_id, c.online == sa.false())
            .values(online=True, changed_at=now, last_seen=now, days_until_empty=days)
            .returning(c.kiosk_id)
        ).scalar_one_or_none()
        if back is not None:
            self._db.event(connection, kiosk_id=kiosk_id, kind="online", at=now)
            return True
        inserted = connection.execute(
            self._db.insert(t.fleet_status)
            .values(
                kiosk_id=kiosk_id, last_seen=now, online=True, changed_at=now, days_until_empty=days
            )
            .on_conflict_do_nothing(index_elements=["kiosk_id"])
            .returning(c.kiosk_id)
        ).scalar_one_or_none()
        if inserted is not None:
            self._db.event(connection, kiosk_id=kiosk_id, kind="first_seen", at=now)
        return False

    def remember_latest(
        self, connection: sa.Connection, hb: Heartbeat, *, now: float, json: str | None = None
    ) -> None:
        """The kiosk's last heartbeat in the server's `kiosks` table (the kiosk list), in the same
        transaction as the fleet's own rows."""
        connection.execute(
            self._sql.latest,
            {
                "kiosk_id": hb.kiosk_id,
                "received_at": datetime.fromtimestamp(now, tz=UTC).isoformat(),
                "heartbeat_json": hb.model_dump_json() if json is None else json,
            },
        )

    def sweep(self, connection: sa.Connection, *, now: float) -> list[AlertMail]:
        """Mark kiosks silent for `offline_after_s` offline and raise their `offline` alert."""
        c = t.fleet_status.c
        gone = connection.execute(
            sa.update(t.fleet_status)
            .where(c.online == sa.true(), c.last_seen < now - self._offline_after_s)
            .values(online=False, changed_at=now)
            .returning(c.kiosk_id, c.last_seen)
        ).all()
        mails: list[AlertMail] = []
        for row in gone:
            silent = now - float(row.last_seen)
            self._db.event(connection, kiosk_id=row.kiosk_id, kind="offline", at=now)
            mail = self._alerts.open(
                connection,
                kiosk_id=row.kiosk_id,
                kind=AlertKind.OFFLINE,
                detail=f"silent_s={silent:.1f}",
                now=now,
            )
            if mail is not None:
                mails.append(mail)
        return mails

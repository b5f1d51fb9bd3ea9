"""The alerts table: open once per (kiosk, kind), acknowledge, resolve, list.

`open_key` (`<kiosk>\\x1f<kind>`) is unique and set while an alert is active (open or
acknowledged), NULL once it is resolved: opening is an INSERT … ON CONFLICT DO NOTHING on it, so
two server processes sweeping the same database never raise the same alert twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

from central.errors import StoreError
from central.fleet import tables as t
from central.fleet.alerts import OPERATOR_RESOLVED_KINDS, AlertKind, AlertState, can_move
from central.fleet.base import FleetDb, iso, page_limit
from central.fleet.mail import AlertMail
from central.fleet.models import AlertPage, AlertView


class AlertNotFound(StoreError):
    """No such alert."""


class AlertTransitionRefused(StoreError):
    """The alert is not in a state this action applies to."""


def open_key(kiosk_id: str, kind: AlertKind) -> str:
    return f"{kiosk_id}\x1f{kind.value}"


def _view(row: sa.Row[tuple[object, ...]]) -> AlertView:
    m = row._mapping
    kind = AlertKind(str(m["kind"]))
    return AlertView(
        alert_id=int(m["alert_id"]),
        kiosk_id=str(m["kiosk_id"]),
        kind=kind.value,
        state=str(m["state"]),
        detail=str(m["detail"]),
        opened_at=datetime.fromtimestamp(float(m["opened_at"]), tz=UTC),
        acknowledged_at=iso(m["acknowledged_at"]),
        acknowledged_by=m["acknowledged_by"],
        resolved_at=iso(m["resolved_at"]),
        title_key=kind.title_key,
        action_key=kind.action_key,
    )


_ACTIVE_KINDS: Final = sa.select(t.fleet_alerts.c.kind).where(
    t.fleet_alerts.c.kiosk_id == sa.bindparam("b_kiosk"), t.fleet_alerts.c.open_key.is_not(None)
)
"""A kiosk's open alerts' kinds: built once, as every heartbeat asks it."""


class AlertBook:
    def __init__(self, db: FleetDb) -> None:
        self._db = db

    def open(
        self,
        connection: sa.Connection,
        *,
        kiosk_id: str,
        kind: AlertKind,
        detail: str,
        now: float,
    ) -> AlertMail | None:
        """Open the alert unless one is active; the mail to send when it was opened here."""
        statement = (
            self._db.insert(t.fleet_alerts)
            .values(
                kiosk_id=kiosk_id,
                kind=kind.value,
                state=AlertState.OPEN.value,
                open_key=open_key(kiosk_id, kind),
                detail=detail[:500],
                opened_at=now,
            )
            .on_conflict_do_nothing(index_elements=["open_key"])
            .returning(t.fleet_alerts.c.alert_id)
        )
        alert_id = connection.execute(statement).scalar_one_or_none()
        if alert_id is None:
            return None
        self._db.event(
            connection,
            kiosk_id=kiosk_id,
            kind="alert_opened",
            ref=str(alert_id),
            detail=kind,
            at=now,
        )
        return AlertMail(
            alert_id=int(alert_id), kiosk_id=kiosk_id, kind=kind, detail=detail, opened_at=now
        )

    def resolve(
        self, connection: sa.Connection, *, kiosk_id: str, kind: AlertKind, now: float
    ) -> bool:
        c = t.fleet_alerts.c
        rows = connection.execute(
            sa.update(t.fleet_alerts)
            .where(c.open_key == open_key(kiosk_id, kind))
            .values(state=AlertState.RESOLVED.value, open_key=None, resolved_at=now)
            .returning(c.alert_id)
        ).all()
        for row in rows:
            self._db.event(
                connection,
                kiosk_id=kiosk_id,
                kind="alert_resolved",
                ref=str(row.alert_id),
                detail=kind,
                at=now,
            )
        return bool(rows)

    def active_kinds(self, connection: sa.Connection, *, kiosk_id: str) -> set[AlertKind]:
        rows = connection.execute(_ACTIVE_KINDS, {"b_kiosk": kiosk_id}).all()
        return {AlertKind(row.kind) for row in rows}

    def acknowledge(self, alert_id: int, *, actor: str) -> AlertView:
        return self._operator_move(alert_id, actor=actor, target=AlertState.ACKNOWLEDGED)

    def resolve_by_operator(self, alert_id: int, *, actor: str) -> AlertView:
        return self._operator_move(alert_id, actor=actor, target=AlertState.RESOLVED)

    def _operator_move(self, alert_id: int, *, actor: str, target: AlertState) -> AlertView:
        c = t.fleet_alerts.c
        now = self._db.clock()
        with self._db.write("the alert") as connection:
            row = connection.execute(
                sa.select(t.fleet_alerts).where(c.alert_id == alert_id)
            ).one_or_none()
            if row is None:
                raise AlertNotFound(str(alert_id))
            state, kind = AlertState(row.state), AlertKind(row.kind)
            manual = target is not AlertState.RESOLVED or kind in OPERATOR_RESOLVED_KINDS
            if not can_move(state, target) or not manual:
                raise AlertTransitionRefused(f"{state.value} -> {target.value}")
            values: dict[str, object] = {"state": target.value}
            if target is AlertState.ACKNOWLEDGED:
                values |= {"acknowledged_at": now, "acknowledged_by": actor[:128]}
            else:
                values |= {"resolved_at": now, "open_key": None}
            connection.execute(
                sa.update(t.fleet_alerts)
                .where(c.alert_id == alert_id, c.state == state.value)
                .values(**values)
            )
            event = "alert_acknowledged" if target is AlertState.ACKNOWLEDGED else "alert_resolved"
            self._db.event(
                connection, kiosk_id=row.kiosk_id, kind=event, ref=str(alert_id), detail=kind
            )
            self._db.audit(
                connection,
                actor=actor,
                action=f"alert.{target.value}",
                target=f"alert:{alert_id}",
                detail=f"{row.kiosk_id} {kind.value}",
            )
            fresh = connection.execute(
                sa.select(t.fleet_alerts).where(c.alert_id == alert_id)
            ).one()
        return _view(fresh)

    def get(self, alert_id: int) -> AlertView | None:
        with self._db.read("the alert") as connection:
            row = connection.execute(
                sa.select(t.fleet_alerts).where(t.fleet_alerts.c.alert_id == alert_id)
            ).one_or_none()
        return _view(row) if row is not None else None

    def list(
        self,
        *,
        kiosk_id: str | None = None,
        state: AlertState | None = None,
        kind: AlertKind | None = None,
        active: bool = False,
        after: int = 0,
        limit: int = 100,
    ) -> AlertPage:
        """Alerts in opening order, filtered; `active`: open or acknowledged only."""
        limit = page_limit(limit)
        c = t.fleet_alerts.c
        query = sa.select(t.fleet_alerts).where(c.alert_id > after)
        if kiosk_id is not None:
            query = query.where(c.kiosk_id == kiosk_id)
        if state is not None:
            query = query.where(c.state == state.value)
        if kind is not None:
            query = query.where(c.kind == kind.value)
        if active:
            query = query.where(c.open_key.is_not(None))
        with self._db.read("the alerts") as connection:
            rows = connection.execute(query.order_by(c.alert_id).limit(limit + 1)).all()
        views = tuple(_view(row) for row in rows[:limit])
        return AlertPage(alerts=views, next_after=views[-1].alert_id if len(rows) > limit else None)

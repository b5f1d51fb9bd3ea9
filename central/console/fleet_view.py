"""What the console's fleet pages show, read from the central database (no web, no templates).

The overview is paged on the server: filters (status, version, mode) become SQL conditions and
only one page of heartbeats is parsed, so it stays fast with ten thousand kiosks. A kiosk is
online when its last heartbeat arrived less than `OFFLINE_AFTER_S` ago.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from central import db
from central.fleet import tables as fleet_tables
from central.store import SqlCentralStore
from offline_queue.wire import EnrollmentState, Heartbeat, IssuanceRecord, StoredRecord

OFFLINE_AFTER_S: Final = 90
PAGE_SIZE: Final = 50
PAPER_LOW_DAYS: Final = 1.0
LOCAL_TZ: Final = ZoneInfo("Europe/Brussels")


class StatusFilter(enum.StrEnum):
    ALL = "all"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperForecast:
    level_pct: int | None
    pages_left: int | None
    days_left: float | None
    """Days until empty at today's pace (pages printed today over the hours elapsed)."""

    @property
    def low(self) -> bool:
        return self.days_left is not None and self.days_left < PAPER_LOW_DAYS


@dataclass(frozen=True, slots=True, kw_only=True)
class KioskRow:
    kiosk_id: str
    online: bool
    last_seen: datetime
    version: str
    mode: str
    paper: PaperForecast
    open_alerts: int | None
    heartbeat: Heartbeat


@dataclass(frozen=True, slots=True, kw_only=True)
class _FleetState:
    online: bool
    days_until_empty: float | None
    active_alerts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrollment:
    state: EnrollmentState
    requested_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OverviewPage:
    rows: tuple[KioskRow, ...]
    total: int
    page: int
    pages: int
    versions: tuple[str, ...]
    online: int
    offline: int


_MAX_VERSIONS: Final = 100
_JSON_KEYS: Final = frozenset({"version", "mode"})


def _json_field(key: str, dialect: str) -> sa.ColumnElement[str]:
    """A top-level string field of the stored heartbeat, written exactly as the expression
    indexes of migration 0005 are (a bound parameter would not match them)."""
    if key not in _JSON_KEYS:
        raise ValueError(f"no index on heartbeat field {key!r}")
    if dialect == "postgresql":
        return sa.literal_column(f"((kiosks.heartbeat_json)::jsonb ->> '{key}')", sa.String())
    return sa.literal_column(f"json_extract(kiosks.heartbeat_json, '$.{key}')", sa.String())


_OPENING_DAY_H: Final = 8.0
"""Today's pace counts at least a working day's hours, so an early morning does not alarm."""


def paper_forecast(heartbeat: Heartbeat, *, now: datetime) -> PaperForecast:
    """Days until the printer is empty at today's pace (documents today over the hours elapsed)."""
    printer = heartbeat.health.get("printer")
    if printer is None:
        return PaperForecast(level_pct=None, pages_left=None, days_left=None)
    days: float | None = None
    counters = heartbeat.counters
    if printer.pages_left == 0:
        days = 0.0
    elif printer.pages_left is not None and counters is not None and counters.documents > 0:
        local = now.astimezone(LOCAL_TZ)
        hours = max(_OPENING_DAY_H, local.hour + local.minute / 60)
        per_day = counters.documents * 24 / hours
        days = round(printer.pages_left / per_day, 1)
    return PaperForecast(
        level_pct=printer.paper_level_pct, pages_left=printer.pages_left, days_left=days
    )


class FleetView:
    """Read-only queries behind the console's pages."""

    def __init__(self, store: SqlCentralStore) -> None:
        self._engine = store.engine
        self._dialect = self._engine.dialect.name

    def overview(
        self,
        *,
        now: datetime,
        status: StatusFilter = StatusFilter.ALL,
        version: str | None = None,
        mode: str | None = None,
        page: int = 1,
        page_size: int = PAGE_SIZE,
    ) -> OverviewPage:
        table = db.kiosks
        version_of = _json_field("version", self._dialect)
        mode_of = _json_field("mode", self._dialect)
        conditions: list[sa.ColumnElement[bool]] = []
        status_table = fleet_tables.fleet_status
        online_ids = sa.select(status_table.c.kiosk_id).where(status_table.c.online.is_(True))
        if status is StatusFilter.ONLINE:
            conditions.append(table.c.kiosk_id.in_(online_ids))
        elif status is StatusFilter.OFFLINE:
            conditions.append(table.c.kiosk_id.not_in(online_ids))
        if version:
            conditions.append(version_of == version)
        if mode:
            conditions.append(mode_of == mode)
        with self._engine.connect() as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(table).where(*conditions)
            ).scalar_one()
            pages = max(1, math.ceil(total / page_size))
            page = max(1, min(page, pages))
            rows = connection.execute(
                sa.select(table.c.kiosk_id, table.c.received_at, table.c.heartbeat_json)
                .where(*conditions)
                .order_by(table.c.kiosk_id)
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).all()
            version_list = self._versions(connection)
            online = connection.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.kiosk_id.in_(online_ids))
            ).scalar_one()
            states = self._fleet_states(connection, [r.kiosk_id for r in rows])
            everyone = connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
        return OverviewPage(
            rows=tuple(
                self._row(r.kiosk_id, r.received_at, r.heartbeat_json, now, states) for r in rows
            ),
            total=int(total),
            page=page,
            pages=pages,
            versions=version_list,
            online=int(online),
            offline=int(everyone) - int(online),
        )

    def _versions(self, connection: sa.Connection) -> tuple[str, ...]:
        """The versions the fleet runs (for the filter), read from the index, not the rows."""
        if self._dialect == "postgresql":
            # PostgreSQL's DISTINCT reads every row: walk the expression index instead
            field = "((kiosks.heartbeat_json)::jsonb ->> 'version')"
            found = connection.execute(
                sa.text(
                    f"WITH RECURSIVE v(x, n) AS ("  # noqa: S608 (fixed text, no input)
                    f" SELECT min({field}), 1 FROM kiosks"
                    f" UNION ALL SELECT (SELECT min({field}) FROM kiosks WHERE {field} > v.x),"
                    f" n + 1 FROM v WHERE v.x IS NOT NULL AND n < {_MAX_VERSIONS})"
                    " SELECT x FROM v WHERE x IS NOT NULL"
                )
            ).scalars()
        else:
            version_of = _json_field("version", self._dialect)
            found = connection.execute(
                sa.select(version_of)
                .select_from(db.kiosks)
                .distinct()
                .order_by(version_of)
                .limit(_MAX_VERSIONS)
            ).scalars()
        return tuple(str(v) for v in found if v)

    def _fleet_states(
        self, connection: sa.Connection, kiosk_ids: list[str]
    ) -> dict[str, _FleetState]:
        """The central's own view of these kiosks: online, paper forecast, active alerts."""
        if not kiosk_ids:
            return {}
        st, al = fleet_tables.fleet_status.c, fleet_tables.fleet_alerts.c
        active = (
            sa.select(sa.func.count())
            .where(al.kiosk_id == st.kiosk_id, al.open_key.is_not(None))
            .scalar_subquery()
        )
        rows = connection.execute(
            sa.select(st.kiosk_id, st.online, st.days_until_empty, active).where(
                st.kiosk_id.in_(kiosk_ids)
            )
        ).all()
        return {
            str(r[0]): _FleetState(
                online=bool(r[1]),
                days_until_empty=float(r[2]) if r[2] is not None else None,
                active_alerts=int(r[3]),
            )
            for r in rows
        }

    def _row(
        self,
        kiosk_id: str,
        received_at: str,
        body: str,
        now: datetime,
        states: dict[str, _FleetState],
    ) -> KioskRow:
        heartbeat = Heartbeat.model_validate_json(body)
        last_seen = datetime.fromisoformat(received_at)
        state = states.get(kiosk_id)
        paper = paper_forecast(heartbeat, now=now)
        if state is not None and state.days_until_empty is not None:
            paper = PaperForecast(
                level_pct=paper.level_pct,
                pages_left=paper.pages_left,
                days_left=round(state.days_until_empty, 1),
            )
        return KioskRow(
            kiosk_id=kiosk_id,
            online=state.online
            if state is not None
            else (now - last_seen).total_seconds() < OFFLINE_AFTER_S,
            last_seen=last_seen,
            version=heartbeat.version,
            mode=heartbeat.mode,
            paper=paper,
            open_alerts=state.active_alerts if state is not None else None,
            heartbeat=heartbeat,
        )

    def kiosk(self, kiosk_id: str, *, now: datetime) -> KioskRow | None:
        table = db.kiosks
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.received_at, table.c.heartbeat_json).where(
                    table.c.kiosk_id == kiosk_id
                )
            ).first()
            states = self._fleet_states(connection, [kiosk_id]) if row is not None else {}
        if row is None:
            return None
        return self._row(kiosk_id, row.received_at, row.heartbeat_json, now, states)

    def enrollment(self, kiosk_id: str) -> Enrollment | None:
        table = db.kiosk_identities
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.state, table.c.requested_at, table.c.decided_at).where(
                    table.c.kiosk_id == kiosk_id
                )
            ).first()
        if row is None:
            return None
        return Enrollment(
            state=EnrollmentState(row.state),
            requested_at=datetime.fromisoformat(row.requested_at),
            decided_at=datetime.fromisoformat(row.decided_at) if row.decided_at else None,
        )

    def records(
        self, *, kiosk_id: str | None = None, before: int | None = None, limit: int = PAGE_SIZE
    ) -> tuple[list[StoredRecord], int | None]:
        """Records newest first, and the `before` of the next (older) page if there is one."""
        table = db.records
        query = sa.select(table.c.seq, table.c.received_at, table.c.record_json)
        if kiosk_id:
            query = query.where(table.c.kiosk_id == kiosk_id)
        if before is not None:
            query = query.where(table.c.seq < before)
        query = query.order_by(table.c.seq.desc()).limit(limit + 1)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        page = [
            StoredRecord(
                seq=row.seq,
                received_at=datetime.fromisoformat(row.received_at),
                record=IssuanceRecord.model_validate_json(row.record_json),
            )
            for row in rows[:limit]
        ]
        return page, (page[-1].seq if len(rows) > limit else None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Advice:
    """One thing an operator should do about a kiosk: a translation key and its values."""

    key: str
    severity: str
    """`danger`, `warning` or `info` (the colour on the page)."""
    values: dict[str, str]


_FAULTY: Final = frozenset({"fault", "absent", "error", "offline", "jammed"})


def advice(row: KioskRow, *, now: datetime, last_seen_text: str) -> list[Advice]:
    """What to do about this kiosk, most urgent first (empty when all is well)."""
    found: list[Advice] = []
    hb = row.heartbeat
    if not row.online:
        found.append(
            Advice(key="advice.offline", severity="danger", values={"last_seen": last_seen_text})
        )
    printer = hb.health.get("printer")
    if printer is not None and printer.state in _FAULTY:
        found.append(
            Advice(key="advice.printer_fault", severity="danger", values={"state": printer.state})
        )
    if row.paper.low or (printer is not None and printer.state == "paper_low"):
        pages = "?" if row.paper.pages_left is None else str(row.paper.pages_left)
        found.append(Advice(key="advice.paper_low", severity="warning", values={"pages": pages}))
    terminal = hb.health.get("terminal")
    if terminal is not None and terminal.state in _FAULTY:
        found.append(
            Advice(key="advice.terminal_fault", severity="danger", values={"state": terminal.state})
        )
    reader = hb.health.get("reader")
    if reader is not None and reader.state in _FAULTY:
        found.append(
            Advice(key="advice.reader_fault", severity="danger", values={"state": reader.state})
        )
    signer = hb.health.get("signer")
    if signer is not None and signer.certificate_not_after is not None:
        days = (signer.certificate_not_after - now).days
        if days < 30:
            found.append(
                Advice(
                    key="advice.seal_expiring",
                    severity="warning",
                    values={"days": str(max(days, 0))},
                )
            )
    if hb.outbox_oldest_age_s is not None and hb.outbox_oldest_age_s > 3600:
        hours = str(hb.outbox_oldest_age_s // 3600)
        found.append(
            Advice(
                key="advice.backlog",
                severity="warning",
                values={"hours": hours, "count": str(hb.outbox_backlog)},
            )
        )
    if hb.mode != "in_service":
        found.append(Advice(key="advice.out_of_service", severity="info", values={}))
    return found

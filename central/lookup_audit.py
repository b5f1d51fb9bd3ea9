"""The audit of the register lookups, read for the console: every lookup a kiosk asked for
(`central.citizen_proof` writes one row per lookup: kiosk, time, outcome, the national number
masked), newest first, filtered by kiosk, outcome and Brussels day, paged by sequence number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from central.citizen_proof import register_lookups
from central.errors import StoreError

LOCAL_TZ: Final = ZoneInfo("Europe/Brussels")
OUTCOMES: Final = (
    "found",
    "not_found",
    "requests_listed",
    "staff_proof",
    "register.proof_required",
    "register.proof_refused",
)
"""The outcomes the card's proof is audited with: the register route
(`citizen_proof.register_extract`), a resident's requests (`citizen_services.citizen_requests`)
and a staff card at the maintenance login (`citizen_proof.staff_proof`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupFilter:
    kiosk_id: str | None = None
    outcome: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    """Brussels days, both included."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupRow:
    seq: int
    kiosk_id: str
    at: datetime
    outcome: str
    national_number_masked: str


def _utc_start(day: date) -> str:
    """The ISO text (UTC, as stored) of the Brussels midnight starting `day`."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC).isoformat()


def lookups(
    engine: sa.Engine, chosen: LookupFilter, *, before: int | None = None, limit: int = 50
) -> list[LookupRow]:
    """One page of lookups, newest first (`before`: the last row's `seq` of the previous page)."""
    c = register_lookups.c
    query = sa.select(register_lookups)
    if chosen.kiosk_id:
        query = query.where(c.kiosk_id == chosen.kiosk_id)
    if chosen.outcome:
        query = query.where(c.outcome == chosen.outcome)
    if chosen.day_from is not None:
        query = query.where(c.at >= _utc_start(chosen.day_from))
    if chosen.day_to is not None:
        query = query.where(c.at < _utc_start(chosen.day_to + timedelta(days=1)))
    if before is not None:
        query = query.where(c.seq < before)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                query.order_by(c.seq.desc()).limit(max(1, min(limit, 500)))
            ).all()
    except sa.exc.SQLAlchemyError as err:
        raise StoreError("cannot read the register lookups") from err
    return [
        LookupRow(
            seq=int(row.seq),
            kiosk_id=str(row.kiosk_id),
            at=datetime.fromisoformat(str(row.at)),
            outcome=str(row.outcome),
            national_number_masked=str(row.national_number_masked),
        )
        for row in rows
    ]

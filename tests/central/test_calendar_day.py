"""The operator's day: a calendar day within what the central holds, else refused alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from central.calendar_day import FIRST_DAY, LAST_DAY, parse_day
from central.lookup_audit import LOCAL_TZ


def test_a_calendar_day_is_read_and_others_are_refused() -> None:
    assert parse_day("2026-12-02") == date(2026, 12, 2)
    for refused in ("2026-02-31", "0001-01-01", "9999-12-31", "1969-12-31", "", "20261202x"):
        assert parse_day(refused) is None, refused


@given(day=st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
def test_every_accepted_day_has_instants_for_its_windows(day: date) -> None:
    """The windows the reconciliation reads around a day exist in UTC for every accepted day."""
    assert parse_day(day.isoformat()) == day
    start = datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ)
    assert (start - timedelta(days=1)).astimezone().timestamp() < (
        start + timedelta(days=2)
    ).timestamp()

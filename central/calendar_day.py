"""A calendar day typed by an operator (`YYYY-MM-DD`), within the days the central can hold.

The API and the console's pages take a day to filter on; a day the calendar has not (2026-02-31)
or one so far out that its bounds in Brussels time are no representable instant (0001-01-01,
9999-12-31) is refused the same way everywhere, as the operator's mistake, never as an error of
the server.
"""

from __future__ import annotations

from datetime import date
from typing import Final

FIRST_DAY: Final = date(1970, 1, 1)
"""Nothing the central holds is older: its timestamps count from the Unix epoch."""
LAST_DAY: Final = date(9998, 12, 31)
"""A day with room after it for the day-long windows around it."""


def parse_day(value: str) -> date | None:
    """The day `value` names, or None when it is no calendar day or outside the central's."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None

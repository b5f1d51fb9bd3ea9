"""The inactivity time-out of the current state, and the count-down shown before it.

Each interactive state has a time-out (`JourneySettings.timeouts_s`); any resident action or
state change restarts it. In the last `timeout_warning_s` seconds the view counts down. REMOVE_CARD
never ends by itself: once its time-out passed, its prompt turns into an alert (`card_left`).
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Callable, Mapping

from kiosk.session import SessionState

S = SessionState
log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    QUIET = "quiet"
    """Nothing to show or do."""
    CHANGED = "changed"
    """The count-down or the card-left alert changed: refresh the view."""
    TIMED_OUT = "timed_out"
    """End the session."""


class Inactivity:
    """How long the resident has been idle; used on the controller's thread only."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last = clock()
        self.warning_s: int | None = None
        self.card_left = False

    def touched(self) -> None:
        """A resident action or a state change: the time-out starts over."""
        self._last = self._clock()
        self.warning_s = None

    def entering(self, target: SessionState) -> None:
        if target is not S.REMOVE_CARD:
            self.card_left = False

    def check(
        self,
        state: SessionState,
        *,
        limits: Mapping[SessionState, float],
        warn_within_s: float,
        factor: float = 1.0,
    ) -> Verdict:
        """Called about once a second in `state`; `factor` scales the limits (audio mode: 2)."""
        limit = limits.get(state)
        if limit is None:
            return Verdict.QUIET
        limit *= factor
        idle = self._clock() - self._last
        if idle >= limit:
            if state is not S.REMOVE_CARD:
                return Verdict.TIMED_OUT
            if self.card_left:
                return Verdict.QUIET
            self.card_left = True
            log.warning("card_left_in_reader")
            return Verdict.CHANGED
        remaining = limit - idle
        warning = (
            math.ceil(remaining)
            if remaining <= warn_within_s and state is not S.REMOVE_CARD
            else None
        )
        if warning == self.warning_s:
            return Verdict.QUIET
        self.warning_s = warning
        return Verdict.CHANGED

"""Who is logged in to the maintenance mode, with which role, and until when.

Roles come from the central's staff allow-list (`staff.allow`: clerk or technician); a login with
the one-time maintenance code is a technician. The mode closes itself after `IDLE_S` without a
staff action. Wrong logins are rate-limited by `AttemptLimiter` (the same policy as the code's:
after every third failure a lock-out that doubles, up to 15 min).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hardware.errors import BorneError
from offline_queue.managed_config import StaffRole

IDLE_S: Final = 5 * 60.0
FAILURES_BEFORE_LOCK: Final = 3
FIRST_LOCK_S: Final = 30.0
MAX_LOCK_S: Final = 15 * 60.0


class LoginMethod(enum.StrEnum):
    CODE = "code"
    EID = "eid"


class Action(enum.StrEnum):
    """What staff do in the maintenance mode; each is one audit event."""

    LOGIN = "login"
    LOGIN_REFUSED = "login_refused"
    CLOSE = "close"
    CLOSED_IDLE = "closed_idle"
    DIAGNOSE = "diagnose"
    CARD_TEST = "card_test"
    TEST_PAGE = "test_page"
    COUNTERS = "counters"
    PAPER_REFILLED = "paper_refilled"
    QUEUE = "queue"
    SYNC_NOW = "sync_now"
    RETRY_FAILED = "retry_failed"
    REVIEWS = "reviews"
    END_OF_DAY = "end_of_day"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    LOGS = "logs"
    SEND_LOGS = "send_logs"
    RESTART = "restart"
    EXIT_TO_SYSTEM = "exit_to_system"


TECHNICIAN_ONLY: Final = frozenset({Action.EXIT_TO_SYSTEM})


def allowed(role: StaffRole, action: Action) -> bool:
    return role is StaffRole.TECHNICIAN or action not in TECHNICIAN_ONLY


class MaintenanceRefused(BorneError):
    """A staff action outside an open maintenance session, or beyond the staff member's role."""

    translation_key = "maintenance.refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffIdentity:
    actor: str
    """Pseudonymous (`audit.Pseudonyms`), never a national number."""
    role: StaffRole
    method: LoginMethod


class MaintenanceSession:
    """One open maintenance session; `clock` is monotonic seconds."""

    def __init__(
        self, identity: StaffIdentity, *, clock: Callable[[], float], idle_s: float = IDLE_S
    ) -> None:
        self.identity = identity
        self._clock = clock
        self._idle_s = idle_s
        self._last = clock()

    def touch(self) -> None:
        self._last = self._clock()

    def idle_for_s(self) -> float:
        return max(0.0, self._clock() - self._last)

    @property
    def expired(self) -> bool:
        return self.idle_for_s() >= self._idle_s


class AttemptLimiter:
    """Counts failed logins; after every `FAILURES_BEFORE_LOCK`th a lock-out that doubles."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._failures = 0
        self._locks = 0
        self._locked_until = 0.0

    @property
    def failures(self) -> int:
        return self._failures

    def locked_for_s(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    def failed(self) -> None:
        self._failures += 1
        if self._failures % FAILURES_BEFORE_LOCK == 0:
            self._locks += 1
            lock = min(MAX_LOCK_S, FIRST_LOCK_S * 2 ** (self._locks - 1))
            self._locked_until = self._clock() + lock

    def succeeded(self) -> None:
        self._failures = 0
        self._locks = 0
        self._locked_until = 0.0

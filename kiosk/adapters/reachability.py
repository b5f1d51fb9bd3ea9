"""Whether the central server answers, judged from the kiosk's own calls to it.

The register extract lives at the central, so a kiosk that cannot reach it can deliver nothing.
No extra probe is sent: heartbeats and register look-ups are the evidence. One call lost to the
network is not enough (a restart of the central, a dropped packet); `failures_to_lose`
consecutive failures are, and the first call that gets through brings the central back.
Listeners hear each change (on the calling thread) and must hand it to their own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Listener = Callable[[bool], None]


class Reachability:
    """Thread-safe; starts reachable (the start-up check opened the outbox and its client)."""

    def __init__(self, *, failures_to_lose: int = 2) -> None:
        if failures_to_lose < 1:
            msg = "failures_to_lose must be at least 1"
            raise ValueError(msg)
        self._lock = threading.Lock()
        self._failures_to_lose = failures_to_lose
        self._failures = 0
        self._reachable = True
        self._listener: Listener | None = None

    @property
    def reachable(self) -> bool:
        with self._lock:
            return self._reachable

    def watch(self, listener: Listener) -> None:
        """One watcher, as the card port: a new journey's replaces the last one's (which would
        otherwise be kept alive, and told, for as long as the kiosk runs)."""
        with self._lock:
            self._listener = listener

    def succeeded(self) -> None:
        """A call reached the central (whatever it answered)."""
        with self._lock:
            self._failures = 0
            changed = not self._reachable
            self._reachable = True
            listener = self._listener
        if changed:
            log.info("central_reachable_again")
            if listener is not None:
                listener(True)

    def failed(self) -> None:
        """A call did not reach the central (network, time-out, server error)."""
        with self._lock:
            self._failures += 1
            changed = self._reachable and self._failures >= self._failures_to_lose
            if changed:
                self._reachable = False
            failures = self._failures
            listener = self._listener
        if changed:
            log.warning("central_unreachable", extra={"failures": failures})
            if listener is not None:
                listener(False)

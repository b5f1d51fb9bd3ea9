"""Room on disk for an order's records: checked before each payment, and watched while idle.

A kiosk whose data or log folder is nearly full must stop taking orders *before* a completion or
an outbox record can fail to be written. The journey asks `StorageWatch.check_before_payment`
when the resident confirms the summary, and calls `StorageWatch.poll` from its tick while idle: a
full disk puts the kiosk out of service with a staff alert, and space coming back puts it in
service again by itself (the alert settles without staff).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Final

from kiosk.flows.steps import Post, call
from kiosk.ports import DeviceCheck, StoragePort

log = logging.getLogger(__name__)

REASON_STORAGE_FULL: Final = "storage_full"
KEY_STORAGE_FULL: Final = "error.storage_full"
"""Shown to the resident: the kiosk cannot take the order; nothing was charged."""
KEY_ALERT_STORAGE_FULL: Final = "out_of_service.reason.storage_full"
DEFAULT_POLL_S: Final = 30.0

_UNREACHABLE = DeviceCheck(ready=False, state="unreachable", key=KEY_STORAGE_FULL)


class StorageWatch:
    """Idle polling of a `StoragePort`; used on the controller's thread only."""

    def __init__(
        self,
        *,
        port: StoragePort | None,
        post: Post,
        clock: Callable[[], float],
        poll_s: float = DEFAULT_POLL_S,
    ) -> None:
        self._port = port
        self._post = post
        self._clock = clock
        self._poll_s = poll_s
        self._polled_at: float | None = None
        self._polling = False

    @property
    def enabled(self) -> bool:
        return self._port is not None

    def check(self) -> Future[DeviceCheck]:
        """The check before a payment (the caller awaits it as a journey step)."""
        if self._port is None:
            ready: Future[DeviceCheck] = Future()
            ready.set_result(DeviceCheck(ready=True, state="ready"))
            return ready
        return call(self._port.check)

    def poll(self, on_result: Callable[[DeviceCheck], None]) -> None:
        """Check again when the last idle check is older than `poll_s`; `on_result` runs on the
        controller's thread. A check that raises counts as not ready."""
        if self._port is None or self._polling:
            return
        now = self._clock()
        if self._polled_at is not None and now - self._polled_at < self._poll_s:
            return
        self._polled_at = now
        self._polling = True

        def settled(done: Future[DeviceCheck]) -> None:  # any thread
            self._post(lambda: self._deliver(done, on_result))

        call(self._port.check).add_done_callback(settled)

    def _deliver(self, done: Future[DeviceCheck], on_result: Callable[[DeviceCheck], None]) -> None:
        self._polling = False
        err = done.exception()
        if err is not None:
            log.error("storage_check_failed", extra={"error": type(err).__name__})
            on_result(_UNREACHABLE)
            return
        on_result(done.result())

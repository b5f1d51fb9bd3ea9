"""One owner thread per device.

Every call to a driver goes through `DeviceRunner.submit`, which runs it on the device's own thread
and returns a `concurrent.futures.Future`. Drivers stay plain, blocking, single-threaded objects; the
runner owns time-outs, cancellation and the event callbacks the UI bridge turns into Qt signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hardware.errors import DeviceTimeout, OperationCancelled, RunnerStopped

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceEvent:
    """Something a device reports on its own: card inserted, paper out, terminal says "enter PIN"."""

    device: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


EventListener = Callable[[DeviceEvent], None]


class DeviceRunner:
    """Serialises every call for one device on one named thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._listeners: list[EventListener] = []
        self._lock = threading.Lock()
        self._cancel = threading.Event()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"dev-{self.name}"
                )

    def stop(self, *, close: Callable[[], None] | None = None, timeout: float = 5.0) -> None:
        """Cancel queued work, run `close` on the owner thread, and join."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        self._cancel.set()
        if close is not None:
            closing = executor.submit(close)
            try:
                closing.result(timeout=timeout)
            except FutureTimeout:
                log.warning("device close timed out", extra={"device": self.name})
            except Exception:
                log.exception("device close failed", extra={"device": self.name})
        executor.shutdown(wait=True, cancel_futures=True)
        self._cancel.clear()

    @property
    def running(self) -> bool:
        return self._executor is not None

    # -- work -------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            executor = self._executor
        if executor is None:
            raise RunnerStopped(f"runner {self.name} is not running", device=self.name)
        return executor.submit(fn, *args, **kwargs)

    def call(self, fn: Callable[..., T], /, *args: Any, timeout: float, **kwargs: Any) -> T:
        """Submit and wait, turning a time-out or a cancel into typed device errors."""
        future = self.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout as err:
            future.cancel()
            raise DeviceTimeout(
                f"{self.name}: no answer within {timeout:.1f} s", device=self.name
            ) from err
        except CancelledError as err:
            raise OperationCancelled(f"{self.name}: cancelled", device=self.name) from err

    @property
    def cancel_requested(self) -> threading.Event:
        """Set while the runner is stopping; long driver loops poll it to abort cleanly."""
        return self._cancel

    def on_owner_thread(self) -> bool:
        return threading.current_thread().name.startswith(f"dev-{self.name}")

    # -- events -----------------------------------------------------------------------------
    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        self._listeners.remove(listener)

    def emit(self, kind: str, **data: Any) -> None:
        event = DeviceEvent(device=self.name, kind=kind, data=data)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed", extra={"device": self.name, "kind": kind})

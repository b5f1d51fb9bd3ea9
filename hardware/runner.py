"""One owner thread per device.

Every call to a driver goes through `DeviceRunner.submit`, which runs it on the device's own thread
and returns a `concurrent.futures.Future`. Drivers stay plain, blocking, single-threaded objects; the
runner owns time-outs and the orderly stop; drivers assert they run on their owner thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from hardware.errors import DeviceTimeout, OperationCancelled, RunnerStopped

T = TypeVar("T")

log = logging.getLogger(__name__)


class DeviceRunner:
    """Serialises every call for one device on one named thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

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
        if close is not None:
            closing = executor.submit(close)
            try:
                closing.result(timeout=timeout)
            except FutureTimeout:
                log.warning("device close timed out", extra={"device": self.name})
            except Exception:
                log.exception("device close failed", extra={"device": self.name})
        executor.shutdown(wait=True, cancel_futures=True)

    @property
    def running(self) -> bool:
        return self._executor is not None

    # -- work -------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # under the lock: `stop` cannot shut the executor down between the check and the submit
        with self._lock:
            executor = self._executor
            if executor is None:
                raise RunnerStopped(f"runner {self.name} is not running", device=self.name)
            try:
                return executor.submit(fn, *args, **kwargs)
            except RuntimeError as err:  # the interpreter is exiting: its workers have stopped
                raise RunnerStopped(f"runner {self.name} is exiting", device=self.name) from err

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

    def on_owner_thread(self) -> bool:
        return threading.current_thread().name.startswith(f"dev-{self.name}")

    def assert_owner_thread(self) -> None:
        """Raise unless called on this runner's owner thread (drivers call it before device I/O)."""
        if not self.on_owner_thread():
            msg = (
                f"{self.name}: device I/O off its owner thread ({threading.current_thread().name})"
            )
            raise RuntimeError(msg)

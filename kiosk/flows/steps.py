"""Awaiting a port future on the controller's thread, with epochs, stale results and step timing.

Every port call returns a `Future`. `Steps.await_` hands its outcome to `post`, which runs the
continuation on the controller's own thread. A session has an epoch: `Steps.new_epoch()` is called
when a session ends, and a result that settles afterwards is *stale*. A stale result is dropped
(logged), given to a `stale` handler (e.g. a payment that must be reconciled), or, with
`keep_on_stale`, its failure still reaches `failed` (e.g. an outbox record that failed).
Each awaited step's duration is written to the session's `steps_ms`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, TypeVar

from hardware.errors import BorneError, OperationCancelled

T = TypeVar("T")
log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]


class Timed(Protocol):
    """What a session keeps of its steps' timing."""

    @property
    def steps_ms(self) -> dict[str, float]: ...

    @property
    def step_started(self) -> dict[str, float]: ...


def call(start: Callable[[], Future[T]]) -> Future[T]:
    """Start a port call; a port that refuses at once yields a failed future instead of raising."""
    try:
        return start()
    except BorneError as err:
        failed: Future[T] = Future()
        failed.set_exception(err)
        return failed


def settled_error(done: Future[T], *, step: str) -> BaseException | None:
    """The failure of a settled future, a cancellation being an `OperationCancelled`."""
    if done.cancelled():
        return OperationCancelled("cancelled", device=step)
    return done.exception()


class Steps:
    """Runs port calls for one controller; all methods are called on the controller's thread."""

    def __init__(
        self,
        *,
        post: Post,
        clock: Callable[[], float],
        fail: Callable[[BaseException], None],
    ) -> None:
        self._post = post
        self._clock = clock
        self._fail = fail
        self._epoch = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    def new_epoch(self) -> None:
        """End the current session: results still in flight for it become stale."""
        self._epoch += 1

    def is_current(self, epoch: int) -> bool:
        return epoch == self._epoch

    def await_(
        self,
        start: Callable[[], Future[T]],
        *,
        session: Timed,
        step: str,
        then: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
        stale: Callable[[Future[T]], None] | None = None,
        keep_on_stale: bool = False,
    ) -> None:
        """Start a port call and continue on the controller's thread when it settles."""
        epoch = self._epoch
        session.step_started[step] = self._clock()
        future = call(start)

        def settle(done: Future[T]) -> None:
            started = session.step_started.pop(step, None)
            if started is not None:
                session.steps_ms[step] = round((self._clock() - started) * 1000.0, 3)
            err = settled_error(done, step=step)
            if epoch != self._epoch:
                if stale is not None:
                    stale(done)
                elif keep_on_stale and failed is not None and err is not None:
                    failed(err)
                else:
                    log.info("stale_result_dropped", extra={"step": step})
                return
            if err is None:
                then(done.result())
            else:
                (failed or self._fail)(err)

        future.add_done_callback(lambda done: self._post(lambda: settle(done)))

"""A journey controller for the reliability tests: fake devices, real disk checks, a thread-safe
poster the test pumps until a condition holds (no sleeps)."""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from kiosk.journey import JourneyController
from kiosk.ports import DeviceCheck, StoragePort
from kiosk.session import SessionState
from tests.core.fakes import FakePorts, Ids, ManualClock, make_ports, make_settings

WAIT_S = 30.0


class ThreadPoster:
    """Continuations posted from any thread run on the test's thread when it pumps."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def pump(self) -> None:
        while True:
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return
            fn()

    def pump_until(self, done: Callable[[], bool], *, what: str) -> None:
        self.pump()
        while not done():
            try:
                fn = self._queue.get(timeout=WAIT_S)
            except queue.Empty as err:
                raise AssertionError(f"nothing happened while waiting for {what}") from err
            fn()


class SettledOnTestThread:
    """A `StoragePort` whose results are handed over on the test's thread (through the poster),
    so the test knows when the controller has seen each one: `settled` counts them."""

    def __init__(self, inner: StoragePort, poster: ThreadPoster) -> None:
        self._inner = inner
        self._poster = poster
        self.settled = 0

    def check(self) -> Future[DeviceCheck]:
        outer: Future[DeviceCheck] = Future()

        def hand_over(done: Future[DeviceCheck]) -> None:  # runner thread
            self._poster(lambda: self._settle(done, outer))

        self._inner.check().add_done_callback(hand_over)
        return outer

    def _settle(self, done: Future[DeviceCheck], outer: Future[DeviceCheck]) -> None:
        self.settled += 1
        err = done.exception()
        if err is None:
            outer.set_result(done.result())
        else:
            outer.set_exception(err)


class StorageRig:
    def __init__(self, tmp_path: Path, *, storage: StoragePort) -> None:
        self.fakes: FakePorts = make_ports(threaded=False, directory=tmp_path)
        self.poster = ThreadPoster()
        self.storage = SettledOnTestThread(storage, self.poster)
        storage = self.storage
        self.clock = ManualClock()
        self.controller = JourneyController(
            ports=replace(self.fakes.ports, storage=storage),
            settings=replace(make_settings(), storage_poll_s=30.0),
            post=self.poster,
            clock=self.clock,
            ids=Ids(),
        )
        self.fakes.card.watch(self.controller.card_event)

    @property
    def state(self) -> SessionState:
        return self.controller.state

    def wait_for(self, state: SessionState) -> None:
        self.poster.pump_until(lambda: self.state is state, what=state.value)

    def to_summary(self, *documents: str) -> None:
        c = self.controller
        c.touch()
        c.choose_language("fr")
        self.fakes.card.insert()
        self.wait_for(SessionState.PIN)
        for digit in "1234":
            c.pin_digit(digit)
        c.pin_submit()
        self.wait_for(SessionState.CHOOSE_DOCUMENTS)
        for document in documents:
            c.toggle_document(document)
        c.confirm_documents()
        self.wait_for(SessionState.SUMMARY)

    def finish(self) -> None:
        """Take the documents (when any) and the card: the session ends."""
        if self.state is SessionState.TAKE_DOCUMENTS:
            self.controller.documents_taken()
        elif self.state is SessionState.ERROR:
            self.controller.cancel()
        self.fakes.card.remove()
        self.poster.pump()

    def idle_check(self) -> None:
        """Let the idle storage poll fall due, run once, and reach the controller."""
        before = self.storage.settled
        self.clock.now += 31.0
        self.controller.tick()
        self.poster.pump_until(lambda: self.storage.settled > before, what="the idle disk check")
        self.poster.pump()

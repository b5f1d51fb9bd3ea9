"""The device runner: one owner thread, futures, time-outs, cancellation and orderly stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hardware.errors import DeviceTimeout, RunnerStopped
from hardware.runner import DeviceRunner


@pytest.fixture
def runner() -> Iterator[DeviceRunner]:
    r = DeviceRunner("reader")
    r.start()
    yield r
    r.stop()


def test_every_call_runs_on_the_same_named_owner_thread(runner: DeviceRunner) -> None:
    names = {runner.submit(lambda: threading.current_thread().name).result() for _ in range(5)}
    assert len(names) == 1
    assert names.pop().startswith("dev-reader")
    assert runner.submit(runner.on_owner_thread).result() is True
    assert runner.on_owner_thread() is False


def test_calls_are_serialised_in_submission_order(runner: DeviceRunner) -> None:
    seen: list[int] = []
    futures = [runner.submit(seen.append, i) for i in range(20)]
    for f in futures:
        f.result(timeout=5)
    assert seen == list(range(20))


def test_call_times_out_with_a_typed_device_error(runner: DeviceRunner) -> None:
    release = threading.Event()
    with pytest.raises(DeviceTimeout) as caught:
        runner.call(release.wait, 5, timeout=0.05)
    assert caught.value.device == "reader"
    release.set()


def test_stop_runs_close_on_the_owner_thread_and_refuses_new_work() -> None:
    r = DeviceRunner("printer")
    r.start()
    closed_on: list[bool] = []
    r.stop(close=lambda: closed_on.append(r.on_owner_thread()))
    assert closed_on == [True]
    assert not r.running
    with pytest.raises(RunnerStopped):
        r.submit(lambda: None)


def test_owner_thread_assertion_refuses_other_threads(runner: DeviceRunner) -> None:
    runner.submit(runner.assert_owner_thread).result(timeout=5)
    with pytest.raises(RuntimeError, match="owner thread"):
        runner.assert_owner_thread()


def test_a_submit_racing_stop_is_refused_as_stopped_never_as_a_runtime_error() -> None:
    """A ticker thread submitting while the kiosk shuts down sees only `RunnerStopped`."""
    unexpected: list[BaseException] = []
    for _ in range(200):
        racing = DeviceRunner("sync")
        racing.start()
        started = threading.Event()

        def tick(r: DeviceRunner = racing, go: threading.Event = started) -> None:
            go.set()
            while True:
                try:
                    r.submit(lambda: None)
                except RunnerStopped:
                    return
                except BaseException as err:  # noqa: BLE001 - the defect under test
                    unexpected.append(err)
                    return

        ticker = threading.Thread(target=tick)
        ticker.start()
        started.wait(timeout=5)
        racing.stop()
        ticker.join(timeout=5)
        assert not ticker.is_alive()
    assert unexpected == []


def test_a_runner_whose_workers_stopped_with_the_interpreter_refuses_work_as_stopped() -> None:
    """At interpreter exit the executor's workers mark it shut down before `stop` runs."""
    exiting = DeviceRunner("sync")
    exiting.start()
    exiting.submit(lambda: None).result(timeout=5)
    # what concurrent.futures' exit hook leaves behind: an executor that refuses new work
    with exiting._lock:
        executor = exiting._executor
    assert executor is not None
    executor.shutdown(wait=True)
    with pytest.raises(RunnerStopped, match="exiting"):
        exiting.submit(lambda: None)
    exiting.stop()

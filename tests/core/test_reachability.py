"""Whether the central answers, from the kiosk's own calls: the rule, on any sequence of calls."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.adapters.reachability import Reachability
from kiosk.flows.service import KEY_CENTRAL_UNREACHABLE
from kiosk.journey import JourneyController
from kiosk.ports import StaffAlert
from kiosk.session import SessionState
from tests.core.fakes import Ids, Rig, make_settings


def test_one_lost_call_is_not_an_outage_two_are_and_one_answer_ends_it() -> None:
    heard: list[bool] = []
    r = Reachability()
    r.watch(heard.append)
    r.failed()
    assert (r.reachable, heard) == (True, [])
    r.failed()
    r.failed()
    assert (r.reachable, heard) == (False, [False])
    r.succeeded()
    r.succeeded()
    assert (r.reachable, heard) == (True, [False, True])


def test_a_new_watcher_replaces_the_last_one() -> None:
    """A kiosk process that runs a new journey keeps no earlier journey alive through the port."""
    earlier: list[bool] = []
    current: list[bool] = []
    r = Reachability(failures_to_lose=1)
    r.watch(earlier.append)
    r.watch(current.append)
    r.failed()
    r.succeeded()
    assert (earlier, current) == ([], [False, True])


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Reachability(failures_to_lose=0)


@given(calls=st.lists(st.booleans(), max_size=60), threshold=st.integers(min_value=1, max_value=4))
def test_the_state_follows_the_last_run_of_failures(calls: list[bool], threshold: int) -> None:
    heard: list[bool] = []
    r = Reachability(failures_to_lose=threshold)
    r.watch(heard.append)
    for ok in calls:
        r.succeeded() if ok else r.failed()
    trailing = len(calls) - len("".join("s" if ok else "f" for ok in calls).rstrip("f"))
    # lost exactly when the failures since the last answer reach the threshold
    assert r.reachable == (trailing < threshold)
    # every change is heard once, alternating, starting with a loss
    assert heard == [i % 2 == 1 for i in range(len(heard))]
    assert (not heard) or heard[-1] == r.reachable


# -- the journey on the port fakes --------------------------------------------------------------


def _kiosk(tmp_path: Path, *, alerts: tuple[StaffAlert, ...] = ()) -> tuple[Rig, Reachability]:
    rig = Rig(tmp_path, alerts=alerts)
    central = Reachability(failures_to_lose=1)
    rig.controller = JourneyController(
        ports=replace(rig.fakes.ports, central=central),
        settings=make_settings(),
        post=rig.poster,
        clock=rig.clock,
        ids=Ids(),
        alerts=alerts,
    )
    rig.controller.follow_devices()
    return rig, central


def test_the_journey_leaves_service_with_the_central_and_comes_back_with_it(
    tmp_path: Path,
) -> None:
    rig, central = _kiosk(tmp_path)
    central.failed()
    assert rig.pump().state is SessionState.OUT_OF_SERVICE
    assert rig.controller.view.alert_keys == (KEY_CENTRAL_UNREACHABLE,)
    central.succeeded()
    assert rig.pump().state is SessionState.ATTRACT
    assert rig.controller.alerts == ()


def test_an_alert_only_staff_can_settle_keeps_the_kiosk_out_of_service(tmp_path: Path) -> None:
    other = StaffAlert(reason="manual_review", key="out_of_service.reason.manual_review")
    rig, central = _kiosk(tmp_path, alerts=(other,))
    central.failed()
    central.succeeded()
    assert rig.pump().state is SessionState.OUT_OF_SERVICE
    assert rig.controller.alerts == (other,)


def test_a_resident_mid_session_finishes_and_the_kiosk_leaves_service_after(
    tmp_path: Path,
) -> None:
    rig, central = _kiosk(tmp_path)
    rig.controller.touch()
    assert rig.pump().state is SessionState.LANGUAGE
    central.failed()
    assert rig.pump().state is SessionState.LANGUAGE  # nobody is cut off mid-screen
    rig.controller.cancel()
    assert rig.pump().state is SessionState.OUT_OF_SERVICE

"""The journey's flows on the port fakes, without the controller."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from hardware.errors import DeviceUnavailable
from kiosk.flows.staff import StaffFlow
from kiosk.flows.steps import Steps
from kiosk.ports import StaffAlert
from kiosk.session import SessionData
from tests.core.fakes import FakePorts, Ids, ManualClock, QueuePoster, make_ports


@pytest.fixture
def fakes(tmp_path: Path) -> FakePorts:
    return make_ports(threaded=False, directory=tmp_path)


def _session() -> SessionData:
    return SessionData(operation_id="op1", started_at=0.0, language="fr", document_language="fr")


class _Outcome:
    def __init__(self) -> None:
        self.values: list[object] = []
        self.errors: list[BaseException] = []


def _steps(poster: QueuePoster, clock: ManualClock, outcome: _Outcome) -> Steps:
    return Steps(post=poster, clock=clock, fail=outcome.errors.append)


def test_a_step_continues_on_the_posted_thread_and_is_timed() -> None:
    poster, clock, outcome = QueuePoster(), ManualClock(), _Outcome()
    steps = _steps(poster, clock, outcome)
    session = _session()
    pending: Future[int] = Future()
    steps.await_(lambda: pending, session=session, step="read", then=outcome.values.append)
    clock.now += 0.25
    pending.set_result(7)
    assert outcome.values == []
    poster.pump()
    assert outcome.values == [7]
    assert session.steps_ms == {"read": 250.0}


def test_a_result_of_an_ended_session_is_stale() -> None:
    poster, clock, outcome = QueuePoster(), ManualClock(), _Outcome()
    steps = _steps(poster, clock, outcome)
    stale: list[Future[int]] = []
    pending: Future[int] = Future()
    steps.await_(
        lambda: pending,
        session=_session(),
        step="payment",
        then=outcome.values.append,
        stale=stale.append,
    )
    steps.new_epoch()
    pending.set_result(1)
    poster.pump()
    assert outcome.values == []
    assert stale == [pending]


def test_a_port_refusing_at_once_reaches_the_default_failure() -> None:
    poster, clock, outcome = QueuePoster(), ManualClock(), _Outcome()
    steps = _steps(poster, clock, outcome)
    refusal = DeviceUnavailable("gone", device="printer")

    def refuse() -> Future[None]:
        raise refusal

    steps.await_(refuse, session=_session(), step="printer", then=outcome.values.append)
    poster.pump()
    assert outcome.errors == [refusal]


def _staff(fakes: FakePorts, poster: QueuePoster) -> StaffFlow:
    steps = Steps(post=poster, clock=ManualClock(), fail=lambda err: None)
    return StaffFlow(ports=fakes.ports, steps=steps, kiosk_id="kiosk-test", ids=Ids())


def test_an_alert_is_recorded_with_its_claim_code(fakes: FakePorts) -> None:
    staff = _staff(fakes, QueuePoster())
    staff.raise_alert(StaffAlert(reason="reversal_failed", key="k", reference="op0001abcdef"))
    assert staff.out_of_service
    (record,) = fakes.outbox.records
    assert record.outcome == "staff_alert"
    assert record.amount_cents == 0
    assert record.extra["reference"] == "op0001abcdef"
    assert record.extra["claim_code"]


def test_acknowledging_settles_references_and_checks_the_signer(fakes: FakePorts) -> None:
    poster = QueuePoster()
    staff = _staff(fakes, poster)
    staff.raise_alert(StaffAlert(reason="payment_unknown", key="k", reference="op0002abcdef"))
    back: list[bool] = []
    failing: list[StaffAlert] = []
    staff.acknowledge(
        session=_session(), back_in_service=lambda: back.append(True), still_failing=failing.append
    )
    poster.pump()
    assert fakes.payment.acknowledged == ["op0002abcdef"]
    assert fakes.issuer.checks == 1
    assert back == [True]
    assert failing == []
    assert not staff.out_of_service


def test_a_signer_still_failing_raises_a_new_alert(fakes: FakePorts) -> None:
    poster = QueuePoster()
    staff = _staff(fakes, poster)
    staff.raise_alert(StaffAlert(reason="signer_unavailable", key="k"))
    fakes.issuer.check_error = DeviceUnavailable("token", device="hsm")
    failing: list[StaffAlert] = []
    staff.acknowledge(
        session=_session(), back_in_service=lambda: None, still_failing=failing.append
    )
    poster.pump()
    assert [a.reason for a in failing] == ["signer_unavailable"]
    assert fakes.payment.acknowledged == []

"""Whole-process crashes: SIGKILL the real kiosk process during a paid order of two documents.

The stack (pcscd + vpcd + virtual eID, the ZVT simulator, SoftHSM2, cupsd with cups-pdf, the
central server) lives in this test process and survives; the kiosk is a child process
(`tests.reliability.kiosk_child`) killed at one point, then started again (start-up recovery),
sometimes killed again during that recovery, and started a last time. Then:

- every approved payment ends COMPLETED, REVERSED or MANUAL_REVIEW (with a staff alert), and
  as what came out of the printer says: papers out → completed, else reversed;
- the ZVT simulator's own journal shows no card charged twice, and every reversal it made is a
  REVERSED row;
- the central server holds the order's outcome exactly once, an `issued` record for each sealed
  document, and its verification page answers for the certificates of a completed order.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.sim import SimStack
from hardware.payment.journal import PaymentJournal, PaymentRecord, PaymentState
from hardware.payment.service import order_reference
from hardware.payment.zvt import messages as msg
from hardware.simulators.zvt import Scenario
from tests.journey.conftest import lp_readable_dir

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.hsm,
    pytest.mark.cups,
    pytest.mark.central,
    pytest.mark.serial,
    pytest.mark.slow,
]
REPO = Path(__file__).resolve().parents[2]
S = PaymentState
DOCUMENTS = "household,residence"
SETTLED = frozenset({S.COMPLETED, S.REVERSED, S.MANUAL_REVIEW})
ORDER_OUTCOMES = frozenset({"completed", "reversed", "reversal_failed", "failed"})


@dataclass(frozen=True)
class Case:
    name: str
    crashes: tuple[str, ...]
    """Where the journey's process dies, then where each start-up recovery dies."""
    expected: frozenset[PaymentState]
    silent_on_restart: bool = False
    """The terminal is switched off when the kiosk restarts: the outcome stays unknown."""


CASES = [
    Case("after_approval", ("approved",), frozenset({S.REVERSED})),
    Case("after_render", ("rendered",), frozenset({S.REVERSED})),
    Case("after_seal", ("sealed",), frozenset({S.REVERSED})),  # one of two out: refunded whole
    Case("after_print_submission", ("submitted",), frozenset({S.COMPLETED})),
    Case("during_sync", ("sync",), frozenset({S.COMPLETED})),
    Case("during_reversal", ("approved", "reversal"), frozenset({S.REVERSED})),
    Case("during_recovery", ("submitted", "recovery"), frozenset({S.COMPLETED})),
    Case(
        "terminal_off_at_restart",
        ("in_progress",),
        frozenset({S.CANCELLED, S.TIMED_OUT, S.REVERSED, S.MANUAL_REVIEW}),
        silent_on_restart=True,
    ),
]


@pytest.fixture(scope="module")
def var_dir() -> Iterator[Path]:
    path = lp_readable_dir("borne-crash-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(var_dir: Path) -> Iterator[SimStack]:
    with SimStack(var_dir=var_dir, persona="marie") as s:
        yield s


@pytest.fixture(scope="module")
def endpoints_file(stack: SimStack, var_dir: Path) -> Path:
    assert stack.endpoints is not None
    path = var_dir / "endpoints.json"
    path.write_text(stack.endpoints.to_json(), encoding="utf-8")
    return path


def run_kiosk(
    *,
    var_dir: Path,
    state: Path,
    endpoints: Path,
    journey: bool,
    crash: str | None,
    drain: bool = False,
) -> tuple[int, dict[str, object]]:
    args = ["--var", str(var_dir), "--state", str(state), "--endpoints", str(endpoints)]
    if journey:
        args += ["--journey", DOCUMENTS]
    if crash is not None:
        args += ["--crash", crash]
    if drain:
        args.append("--drain")
    env = {**os.environ, "BORNE_VAR_DIR": str(var_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.kiosk_child", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0:
        assert lines, done.stderr[-3000:]
        return 0, json.loads(lines[-1])
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    return done.returncode, {}


def journal_rows(state: Path) -> list[PaymentRecord]:
    journal = PaymentJournal(state / "payments.sqlite")
    try:
        return journal.in_states(frozenset(PaymentState))
    finally:
        journal.close()


def central_records(var_dir: Path) -> list[tuple[str, str, dict[str, Any]]]:
    db = sqlite3.connect(var_dir / "data" / "central.sqlite")
    try:
        rows = db.execute("SELECT operation_id, outcome, record_json FROM records").fetchall()
    finally:
        db.close()
    return [(op, outcome, json.loads(body)) for op, outcome, body in rows]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_killed_kiosk_settles_every_paid_order_once(
    case: Case, stack: SimStack, var_dir: Path, endpoints_file: Path, tmp_path: Path
) -> None:
    terminal = stack.terminal
    assert terminal is not None
    terminal.set_scenario(Scenario.APPROVE)
    # the simulator lives for the whole module: this order's records come after the last receipt
    # of the previous cases
    earlier = max((r.receipt for r in terminal.journal.records()), default=0)
    state = tmp_path / "state"
    first, *during_recovery = case.crashes
    stack.remove_card()
    stack.insert_card()  # the resident's card waits in the reader as the kiosk starts
    code, _ = run_kiosk(
        var_dir=var_dir, state=state, endpoints=endpoints_file, journey=True, crash=first
    )
    assert code == -signal.SIGKILL, "the kiosk never reached the crash point"
    (row,) = journal_rows(state)
    order = order_reference(row.reference)
    if case.silent_on_restart:
        terminal.stop()
        _, seen = run_kiosk(
            var_dir=var_dir, state=state, endpoints=endpoints_file, journey=True, crash=None
        )
        # the outcome is unknown: out of service, and no resident reaches a claim code
        assert seen["alerts"] == ["payment_unknown"]
        assert seen["journey"] == "out_of_service"
        (row,) = journal_rows(state)
        assert row.state is S.UNKNOWN
        terminal.restart()  # switched on again, over its own journal
    assert terminal.wait_idle(60.0)
    for crash in during_recovery:
        code, _ = run_kiosk(
            var_dir=var_dir, state=state, endpoints=endpoints_file, journey=False, crash=crash
        )
        assert code == -signal.SIGKILL, f"recovery never reached {crash}"
        assert terminal.wait_idle(30.0)
    code, last = run_kiosk(
        var_dir=var_dir,
        state=state,
        endpoints=endpoints_file,
        journey=False,
        crash=None,
        drain=True,
    )
    assert code == 0
    assert last["backlog"] == 0

    # the payment journal: settled, as delivery says, staff called for a manual review
    (row,) = journal_rows(state)
    assert row.state in case.expected, row
    if row.receipt_number:  # approved by the terminal
        assert row.state in SETTLED
    alerts = last["alerts"]
    assert isinstance(alerts, list)
    if row.state is S.MANUAL_REVIEW:
        assert "manual_review" in alerts
    else:
        assert alerts == []

    # the terminal's own journal: one charge for the order, reversed iff the row says so
    charges = [
        r
        for r in terminal.journal.records()
        if r.receipt > earlier and r.kind == "payment" and r.result == msg.RESULT_SUCCESS
    ]
    assert len(charges) <= 1  # one order: at most one charge (the kiosk sends no trace of its own)
    mine = [c for c in charges if row.receipt_number and c.receipt == int(row.receipt_number)]
    if row.state in (S.COMPLETED, S.REVERSED):
        (charge,) = mine
        assert charge.reversed is (row.state is S.REVERSED)

    # the central: the order's outcome exactly once, each sealed document's `issued` record
    records = central_records(var_dir)
    outcomes = [
        outcome
        for op, outcome, _ in records
        if order_reference(op.removesuffix(".recovered")) == order and outcome in ORDER_OUTCOMES
    ]
    want = {
        S.COMPLETED: "completed",
        S.REVERSED: "reversed",
        S.MANUAL_REVIEW: "reversal_failed",
        S.CANCELLED: "failed",
        S.TIMED_OUT: "failed",
    }
    assert outcomes == [want[row.state]], records
    issued = [body for _, outcome, body in records if outcome == "issued"]
    issued = [b for b in issued if b["extra"].get("order") == order]
    assert len({b["operation_id"] for b in issued}) == len(issued)
    if row.state is S.COMPLETED:
        endpoints = stack.endpoints
        assert endpoints is not None
        documents = [d for b in issued for d in b["document_ids"]]
        assert len(documents) == 2
        for document_id in documents:
            page = requests.get(
                f"{endpoints.central_url}/verify/{document_id}",
                verify=endpoints.central_ca,  # the central's TLS, pinned like the kiosk does
                timeout=5,
            )
            assert page.status_code == 200

"""The kiosk as its own process, for the crash-point tests: start up, maybe play a resident, die.

    python -m tests.reliability.kiosk_child --var DIR --state DIR --endpoints FILE
        [--journey household,residence] [--crash POINT] [--scenario-note TEXT]

The simulated stack (pcscd + vpcd + virtual card, ZVT simulator, cupsd, central) belongs to the
test process; this process wires the real kiosk against it (`kiosk.app.build`, as `kiosk demo`
does), with its payment journal, outbox and issuance log in `--state`. It runs start-up recovery
(`Kiosk.ready`), then, with `--journey`, one resident through the journey controller (no Qt),
and writes one JSON line: the staff alerts found at start-up and, with `--drain`, the outbox
backlog after delivering it.

`--crash POINT` arms a SIGKILL (`tests.crash_points`) at one of `CRASH_POINTS`; the product
carries no such hook.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from devstack.sim import SimEndpoints, prepare_credentials
from hardware.payment.journal import PaymentState
from hardware.payment.zvt.driver import ZvtTerminal
from kiosk import app
from kiosk.adapters import documents as documents_adapter
from kiosk.config import load_config
from kiosk.demo import _with_endpoints
from kiosk.flows.purpose import PURPOSE
from kiosk.journey import JourneyController
from kiosk.logs import configure_logging
from kiosk.session import SessionState
from offline_queue.client import CentralClient
from offline_queue.wire import RecordBatch
from printing.printer import CupsPrinter
from printing.seal import Sealer
from tests.crash_points import arm_after, arm_journal

REPO = Path(__file__).resolve().parents[2]
S = SessionState


def _real(document_id: str) -> bool:
    return document_id != "specimen"  # the start-up preflight's made-up certificate


def _arm(point: str) -> None:
    if point == "approved":
        arm_journal(PaymentState.APPROVED)
    elif point == "in_progress":
        arm_journal(PaymentState.IN_PROGRESS)
    elif point == "rendered":  # the first document rendered, nothing sealed
        arm_after(
            documents_adapter,
            "render",
            when=lambda data, **_k: _real(data.document_id),
        )
    elif point == "sealed":  # the first document printed, the second just sealed
        arm_after(Sealer, "seal", when=lambda _self, _pdf, **k: _real(k["document_id"]), nth=2)
    elif point == "submitted":  # both print jobs handed to cupsd
        arm_after(CupsPrinter, "submit", nth=2)
    elif point == "sync":  # the central took the order's record; the outbox does not know it
        arm_after(CentralClient, "post_records", when=_holds_completed)
    elif point == "reversal":  # the terminal reversed; the journal does not know it yet
        arm_after(ZvtTerminal, "reverse")
    elif point == "recovery":  # recovery completed the payment, nothing recorded yet
        arm_journal(PaymentState.COMPLETED)
    else:
        raise SystemExit(f"unknown crash point {point}")


CRASH_POINTS = (
    "approved",
    "in_progress",
    "rendered",
    "sealed",
    "submitted",
    "sync",
    "reversal",
    "recovery",
)


def _holds_completed(_self: object, batch: RecordBatch) -> bool:
    return any(r.outcome == "completed" for r in batch.records)


class Pump:
    def __init__(self) -> None:
        self.queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def post(self, fn: Callable[[], None]) -> None:
        self.queue.put(fn)

    def until(
        self, controller: JourneyController, want: Callable[[], bool], timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while not want():
            if time.monotonic() > deadline:
                raise SystemExit(f"journey stuck in {controller.state}")
            try:
                self.queue.get(timeout=0.1)()
            except queue.Empty:
                continue


def _journey(kiosk: app.Kiosk, pin: str, documents: tuple[str, ...]) -> dict[str, Any]:
    pump = Pump()
    controller = JourneyController(
        ports=kiosk.ports,
        settings=kiosk.settings,
        post=pump.post,
        clock=time.monotonic,
        ids=lambda: os.urandom(16).hex(),
        alerts=kiosk.alerts,
    )
    kiosk.ports.card.watch(lambda kind: pump.post(lambda: controller.card_event(kind)))
    if controller.state is S.OUT_OF_SERVICE:
        return {"journey": "out_of_service"}
    pump.until(controller, lambda: controller.view.card_present, 30)
    controller.touch()
    pump.until(controller, lambda: controller.state is S.LANGUAGE, 30)
    controller.choose_language("fr")
    pump.until(controller, lambda: controller.state is S.PIN, 30)
    for digit in pin:
        controller.pin_digit(digit)
    controller.pin_submit()
    pump.until(controller, lambda: controller.state is S.CHOOSE_DOCUMENTS, 30)
    for document in documents:
        controller.toggle_document(document)
    controller.confirm_documents()
    pump.until(controller, lambda: controller.state is PURPOSE, 30)
    controller.choose_purpose("not_stated")
    pump.until(controller, lambda: controller.state is S.SUMMARY, 30)
    controller.confirm_summary()
    pump.until(controller, lambda: controller.state in (S.TAKE_DOCUMENTS, S.ERROR), 120)
    outcome = controller.state.value
    pump.until(controller, lambda: not controller.reconciling, 30)
    # let the order's record reach the outbox (it is queued after the payment is completed)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pump.queue.get(timeout=0.2)()
        except queue.Empty:
            break
    return {
        "journey": outcome,
        "operation_id": controller.reports[-1].operation_id if controller.reports else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--endpoints", type=Path, required=True)
    parser.add_argument("--journey", default="")
    parser.add_argument("--crash", choices=CRASH_POINTS, default=None)
    parser.add_argument("--drain", action="store_true")
    args = parser.parse_args(argv)
    raw = json.loads(args.endpoints.read_text(encoding="utf-8"))
    endpoints = SimEndpoints(**{**raw, "fallbacks": tuple(raw.get("fallbacks", ()))})
    config = load_config(REPO / "kiosk.toml", environ={"BORNE_VAR_DIR": str(args.var)})
    config = _with_endpoints(config, endpoints)
    args.state.mkdir(parents=True, exist_ok=True)
    config = replace(
        config,
        payment=replace(config.payment, journal=args.state / "payments.sqlite"),
        central=replace(config.central, outbox=args.state / "outbox.sqlite"),
        printing=replace(config.printing, job_timeout_s=20.0),
    )
    configure_logging(directory=args.state / "log", level="INFO", console=False)
    token = prepare_credentials(args.var)[2]
    if args.crash is not None:
        _arm(args.crash)
    kiosk = app.build(config, token=token, print_output=config.printing.output_dir)
    try:
        alerts = kiosk.ready()
        result: dict[str, Any] = {"alerts": [a.reason for a in alerts]}
        documents = tuple(d for d in args.journey.split(",") if d)
        if documents:
            from hardware.simulators.eid import persona_pin  # noqa: PLC0415

            pin = persona_pin(endpoints.persona)
            result.update(_journey(kiosk, pin, documents))
        if args.drain:
            kiosk.sync.deliver_now().result(timeout=30)
            result["backlog"] = kiosk.sync.pending().result(timeout=30)
    finally:
        kiosk.stop()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

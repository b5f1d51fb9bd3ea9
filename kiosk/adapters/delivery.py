"""`DeliveryPort`: the printer's own check and the seal's, with the terminal's last known state.

Both device checks run on their own runners, in parallel; the terminal is not dialled (a status
enquiry could meet a resident's payment): the state its adapter last saw (`HealthBoard`) tells
whether it answers.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from hardware.errors import BorneError
from kiosk import health
from kiosk.flows.steps import call, settled_error
from kiosk.ports import Deliverable, DeviceCheck, IssuerPort, PrinterPort

log = logging.getLogger(__name__)

TERMINAL_DOWN = frozenset({"unreachable", "fault", "absent"})


class DeliveryChecker:
    def __init__(
        self, *, printer: PrinterPort, issuer: IssuerPort, board: health.HealthBoard
    ) -> None:
        self._printer = printer
        self._issuer = issuer
        self._board = board

    def check(self) -> Future[Deliverable]:
        result: Future[Deliverable] = Future()
        printer = call(self._printer.check)
        seal = call(self._issuer.check)
        lock = threading.Lock()
        settled: list[int] = []

        def both(_done: object) -> None:
            with lock:
                settled.append(1)
                if len(settled) < 2:
                    return
            result.set_result(self._judge(printer, seal))

        printer.add_done_callback(both)
        seal.add_done_callback(both)
        return result

    def _judge(self, printer: Future[DeviceCheck], seal: Future[None]) -> Deliverable:
        terminal = self._board.snapshot().get(health.PAYMENT_TERMINAL, health.UNKNOWN)
        payment = terminal not in TERMINAL_DOWN
        err = settled_error(printer, step="printer_check")
        if err is not None:
            key = err.translation_key if isinstance(err, BorneError) else None
            return Deliverable(
                documents=False, payment=payment, reason="printer_unavailable", key=key
            )
        check = printer.result()
        if not check.ready:
            return Deliverable(
                documents=False, payment=payment, reason="printer_unavailable", key=check.key
            )
        err = settled_error(seal, step="signer_check")
        if err is not None:
            key = err.translation_key if isinstance(err, BorneError) else None
            return Deliverable(
                documents=False, payment=payment, reason="signer_unavailable", key=key
            )
        return Deliverable(documents=True, payment=payment)

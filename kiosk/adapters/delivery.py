"""`DeliveryPort`: the printer's own check and the seal's, with the terminal's and the central's
last known states.

Both device checks run on their own runners, in parallel; the terminal is not dialled (a status
enquiry could meet a resident's payment): the state its adapter last saw (`HealthBoard`) tells
whether it answers. Nor is the central: its reachability comes from the kiosk's own heartbeats and
look-ups (`kiosk.adapters.reachability`); without it no register extract, so nothing deliverable.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from hardware.errors import BorneError
from kiosk import health
from kiosk.flows.service import KEY_CENTRAL_UNREACHABLE, REASON_CENTRAL_UNREACHABLE
from kiosk.flows.steps import call, settled_error
from kiosk.ports import CentralPort, Deliverable, DeviceCheck, IssuerPort, PrinterPort

log = logging.getLogger(__name__)

TERMINAL_DOWN = frozenset({"unreachable", "fault", "absent"})


class DeliveryChecker:
    def __init__(
        self,
        *,
        printer: PrinterPort,
        issuer: IssuerPort,
        board: health.HealthBoard,
        central: CentralPort | None = None,
    ) -> None:
        self._printer = printer
        self._issuer = issuer
        self._board = board
        self._central = central

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
        if self._central is not None and not self._central.reachable:
            return Deliverable(
                documents=False,
                payment=payment,
                reason=REASON_CENTRAL_UNREACHABLE,
                key=KEY_CENTRAL_UNREACHABLE,
            )
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

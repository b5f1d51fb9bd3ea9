"""Card insertion and removal, and the reader's loss and return, reported from a watcher thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from smartcard import scard

from hardware.eid.errors import ReaderUnavailable
from hardware.eid.pcsc import establish
from hardware.eid.transport import CardTransport, transport_for

log = logging.getLogger(__name__)


class CardMonitor:
    """Reports card and reader events from a watcher thread, once `start()`ed.

    "inserted" / "removed": the resident's card. "reader_unavailable": the PC/SC service (pcscd) is
    gone; "reader_lost": PC/SC answers but the reader is not listed any more. Neither is a removed
    card. "reader_restored": the reader is back after either (followed by "inserted" when a card is
    in it). The monitor keeps trying, so it recovers by itself when pcscd or the reader returns.
    """

    POLL_MS = 200
    RETRY_S = 0.2

    def __init__(
        self,
        *,
        reader_prefix: str,
        on_event: Callable[[str], None],
        transport: CardTransport | None = None,
    ) -> None:
        self.reader_prefix = reader_prefix
        self.on_event = on_event
        self._transport: CardTransport = transport or transport_for(reader_prefix)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eid-monitor", daemon=True)
        self._present: bool | None = None
        self._lost: str | None = None  # the loss event last reported, until "reader_restored"

    def start(self) -> None:
        """Start watching the reader; events come from the watcher thread from now on."""
        self._thread.start()

    def _emit(self, event: str) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("card event listener failed", extra={"event": event})

    def _find(self, context: int | None) -> tuple[int | None, str | None, str]:
        """(context, reader, loss kind if the reader cannot be used)."""
        transport = self._transport
        try:
            if context is None:
                context = establish(transport)
        except ReaderUnavailable:
            return None, None, "reader_unavailable"
        code, readers = transport.list_readers(context)
        if code in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED):
            transport.release(context)
            return None, None, "reader_unavailable"
        names = readers if code == scard.SCARD_S_SUCCESS else []
        reader = next((n for n in names if n.startswith(self.reader_prefix)), None)
        return context, reader, "" if reader is not None else "reader_lost"

    def _lose(self, kind: str) -> None:
        if self._present is None and self._lost is None:
            return  # never saw the reader: nothing was lost
        if self._lost != kind:
            log.warning("eID reader unavailable", extra={"kind": kind})
            self._lost = kind
            self._present = None
            self._emit(kind)

    def _run(self) -> None:
        transport = self._transport
        context: int | None = None
        known = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            context, reader, loss = self._find(context)
            if reader is None or context is None:
                self._lose(loss)
                if context is not None:
                    transport.release(context)
                    context = None
                known = scard.SCARD_STATE_UNAWARE
                self._stop.wait(self.RETRY_S)
                continue
            code, state = transport.status_change(context, reader, known, self.POLL_MS)
            if code == scard.SCARD_E_TIMEOUT:
                continue
            if code != scard.SCARD_S_SUCCESS or state & scard.SCARD_STATE_UNKNOWN:
                transport.release(context)
                context = None
                known = scard.SCARD_STATE_UNAWARE
                self._stop.wait(0.1)
                continue
            if self._lost is not None:
                self._lost = None
                log.info("eID reader restored")
                self._emit("reader_restored")
            known = state & ~scard.SCARD_STATE_CHANGED
            present = bool(known & scard.SCARD_STATE_PRESENT)
            if present != self._present:
                first = self._present is None
                self._present = present
                if present or not first:
                    self._emit("inserted" if present else "removed")
        if context is not None:
            transport.release(context)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

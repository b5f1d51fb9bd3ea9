"""How the eID reader reaches a card: the transport seam under `EidReader`, `EidSession`, `CardMonitor`.

A transport only moves bytes and reports reader state; every rule about what the card wants (61xx,
6Cxx, spurious EOF, recovery after a reset, the PIN) stays in `hardware.eid.link` and
`hardware.eid.reader`. Results use PC/SC's return codes and reader-state flags (`smartcard.scard.SCARD_*`), the vocabulary every
card-reader stack speaks: a transport that is not PC/SC maps its conditions onto them (card gone:
`SCARD_W_REMOVED_CARD`; no card: `SCARD_E_NO_SMARTCARD`; no change within the wait:
`SCARD_E_TIMEOUT`). Context and card handles are opaque integers owned by the transport.

`PcscTransport` (pyscard over pcscd) is the default. A process can also plug in readers of its own
(`plug_in`): the virtual card's in-process reader (`hardware.simulators.eid.inprocess`) on machines
without pcscd. A reader prefix that names a plugged-in reader resolves to its transport
(`transport_for`), any other prefix to PC/SC, so code that only knows the reader's name (a
`CardMonitor` built by an adapter) reaches the same card as the `EidReader`.

A reader's SCardControl can be answered by a `ControlHandler` set for its name
(`set_control_handler`): vpcd implements no reader control at all (its IFDHControl refuses every
code), so a pinpad reader in front of the virtual card is simulated at exactly that level
(`hardware.simulators.eid.pinpad`) while the card, pcscd and vpcd stay real. The handler's
`CardLine` sends its APDUs to the card through the same transport (SCardTransmit, pcscd).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from smartcard import scard

PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1


class CardTransport(Protocol):
    """The PC/SC operations the reader uses, with PC/SC return codes."""

    def establish(self) -> tuple[int, int]:
        """A new context: (code, context)."""

    def release(self, context: int) -> None: ...

    def list_readers(self, context: int) -> tuple[int, list[str]]: ...

    def status_change(
        self, context: int, reader: str, known_state: int, timeout_ms: int
    ) -> tuple[int, int]:
        """Wait up to `timeout_ms` for the reader's state to differ from `known_state`.

        Returns (code, event state flags); `SCARD_E_TIMEOUT` when nothing changed. Presence is
        `SCARD_STATE_PRESENT` in the flags; a failure to report the reader is a non-success code.
        """

    def connect(self, context: int, reader: str) -> tuple[int, int, int]:
        """Shared connection, T=0 or T=1: (code, card handle, active protocol)."""

    def reconnect_with_reset(self, card: int) -> tuple[int, int]:
        """Reset the card under the same handle: (code, active protocol)."""

    def atr(self, card: int) -> tuple[int, bytes]: ...

    def begin_transaction(self, card: int) -> int: ...

    def end_transaction(self, card: int) -> int:
        """End the transaction, leaving the card as it is."""

    def transmit(self, card: int, protocol: int, apdu: bytes) -> tuple[int, bytes]:
        """Send one APDU: (code, response data ‖ SW1 SW2)."""

    def control(self, card: int, code: int, data: bytes) -> tuple[int, bytes]:
        """A reader control code (PC/SC part 10 features, pinpad)."""

    def disconnect_with_reset(self, card: int) -> int: ...


class PcscTransport:
    """The default transport: pyscard's scard layer talking to pcscd (or WinSCard, PCSC.framework)."""

    def establish(self) -> tuple[int, int]:
        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        return int(code), int(context) if code == scard.SCARD_S_SUCCESS else 0

    def release(self, context: int) -> None:
        scard.SCardReleaseContext(context)

    def list_readers(self, context: int) -> tuple[int, list[str]]:
        code, readers = scard.SCardListReaders(context, [])
        return int(code), list(readers or [])

    def status_change(
        self, context: int, reader: str, known_state: int, timeout_ms: int
    ) -> tuple[int, int]:
        code, states = scard.SCardGetStatusChange(context, timeout_ms, [(reader, known_state)])
        if code == scard.SCARD_S_SUCCESS and not states:
            return int(scard.SCARD_E_UNKNOWN_READER), 0
        return int(code), int(states[0][1]) if states else 0

    def connect(self, context: int, reader: str) -> tuple[int, int, int]:
        code, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_SHARED, PROTOCOLS
        )
        return int(code), int(card), int(protocol)

    def reconnect_with_reset(self, card: int) -> tuple[int, int]:
        code, protocol = scard.SCardReconnect(
            card, scard.SCARD_SHARE_SHARED, PROTOCOLS, scard.SCARD_RESET_CARD
        )
        return int(code), int(protocol)

    def atr(self, card: int) -> tuple[int, bytes]:
        code, _reader, _state, _protocol, atr = scard.SCardStatus(card)
        return int(code), bytes(atr) if code == scard.SCARD_S_SUCCESS else b""

    def begin_transaction(self, card: int) -> int:
        return int(scard.SCardBeginTransaction(card))

    def end_transaction(self, card: int) -> int:
        return int(scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD))

    def transmit(self, card: int, protocol: int, apdu: bytes) -> tuple[int, bytes]:
        code, response = scard.SCardTransmit(card, protocol, list(apdu))
        return int(code), bytes(response) if code == scard.SCARD_S_SUCCESS else b""

    def control(self, card: int, code: int, data: bytes) -> tuple[int, bytes]:
        handler = _control_handler_of(card)
        if handler is not None:
            answer, protocol = handler
            return answer.control(
                code, data, CardLine(transport=self, card=card, protocol=protocol)
            )
        result, response = scard.SCardControl(card, code, list(data))
        return int(result), bytes(response) if result == scard.SCARD_S_SUCCESS else b""

    def disconnect_with_reset(self, card: int) -> int:
        return int(scard.SCardDisconnect(card, scard.SCARD_RESET_CARD))


_plugged: dict[str, CardTransport] = {}
_plugged_lock = threading.Lock()


def plug_in(reader_name: str, transport: CardTransport) -> None:
    """Make `reader_name` (a reader of this process) reachable by name; see `transport_for`."""
    with _plugged_lock:
        _plugged[reader_name] = transport


def unplug(reader_name: str) -> None:
    with _plugged_lock:
        _plugged.pop(reader_name, None)


def transport_for(reader_prefix: str) -> CardTransport:
    """The plugged-in reader that `reader_prefix` names, else PC/SC (an empty prefix is PC/SC)."""
    with _plugged_lock:
        for name, transport in _plugged.items():
            if reader_prefix and name.startswith(reader_prefix):
                return transport
    return PcscTransport()


@dataclass(frozen=True, slots=True, kw_only=True)
class CardLine:
    """The card behind one SCardControl call, as a reader's firmware reaches it."""

    transport: CardTransport
    card: int
    protocol: int

    def transmit(self, apdu: bytes) -> tuple[int, bytes]:
        """One APDU to the card: (code, response data ‖ SW1 SW2)."""
        return self.transport.transmit(self.card, self.protocol, apdu)


class ControlHandler(Protocol):
    """What a reader answers to SCardControl (PC/SC part 10 features), in place of its driver."""

    def control(self, code: int, data: bytes, line: CardLine) -> tuple[int, bytes]:
        """(PC/SC code, response) for control `code` with `data`; the card is behind `line`."""
        ...


_handlers: dict[str, ControlHandler] = {}


def set_control_handler(reader_prefix: str, handler: ControlHandler | None) -> None:
    """Answer SCardControl on the readers whose name starts with `reader_prefix` (None: undo)."""
    with _plugged_lock:
        if handler is None:
            _handlers.pop(reader_prefix, None)
        else:
            _handlers[reader_prefix] = handler


def _control_handler_of(card: int) -> tuple[ControlHandler, int] | None:
    """The handler set for `card`'s reader and the card's active protocol, if any is set."""
    with _plugged_lock:
        if not _handlers:
            return None
        handlers = dict(_handlers)
    code, reader, _state, protocol, _atr = scard.SCardStatus(card)
    if code != scard.SCARD_S_SUCCESS:
        return None
    for prefix, handler in handlers.items():
        if str(reader).startswith(prefix):
            return handler, int(protocol)
    return None

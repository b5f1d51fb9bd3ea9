"""PC/SC answers the eID driver tells apart: card removed, reader or service gone, card reset."""

from __future__ import annotations

from smartcard import scard

from hardware.eid.errors import ReaderUnavailable
from hardware.eid.transport import CardTransport

REMOVED_CODES = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}
# The PC/SC service or the reader itself is gone: never "card removed".
UNAVAILABLE_CODES = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}
RESET_CODES = {scard.SCARD_W_RESET_CARD, scard.SCARD_E_NOT_TRANSACTED}
TRANSIENT_CONNECT_CODES = {
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_E_NOT_READY,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_SHARING_VIOLATION,
}


def error_message(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code)} ({code & 0xFFFFFFFF:#010x})"


def establish(transport: CardTransport) -> int:
    code, context = transport.establish()
    if code != scard.SCARD_S_SUCCESS:
        raise ReaderUnavailable(f"no PC/SC service: {error_message(code)}")
    return context


def reader_names(context: int, transport: CardTransport) -> list[str]:
    code, readers = transport.list_readers(context)
    if code != scard.SCARD_S_SUCCESS:
        return []
    return readers


def card_in_reader(context: int, reader: str, transport: CardTransport) -> bool:
    """Is a card in `reader`? Raises `ReaderUnavailable` when PC/SC or the reader is gone."""
    code, state = transport.status_change(context, reader, scard.SCARD_STATE_UNAWARE, 0)
    if code in UNAVAILABLE_CODES:
        raise ReaderUnavailable(f"card reader unavailable: {error_message(code)}")
    if code != scard.SCARD_S_SUCCESS:
        return False
    return bool(state & scard.SCARD_STATE_PRESENT)

"""One connection to one eID card over PC/SC: transactions, status words, recovery, file reads.

Connect T=0|T=1 shared, hold a PC/SC transaction per logical operation, select the BELPIC applet
and GET CARD DATA; read files with 252-byte READ BINARY chunks; handle 61xx / 6Cxx like the card
wants on T=0; after a lost link reset the card and select the applet again; LOG OFF, end the
transaction and disconnect with reset at the end.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Self, TypeVar

from smartcard import scard

from hardware.eid.apdu import (
    APPLET_AID,
    CHUNK,
    MAX_ADDRESSABLE,
    MAX_CERTIFICATE,
    MAX_FILE_SIZE,
    SW_OK,
    der_limit,
)
from hardware.eid.errors import (
    CardCommunicationError,
    CardDataError,
    CardRemoved,
    EidError,
    NoCard,
    NotAnEidCard,
    ReaderUnavailable,
)
from hardware.eid.model import (
    CardData,
)
from hardware.eid.pcsc import (
    REMOVED_CODES,
    RESET_CODES,
    TRANSIENT_CONNECT_CODES,
    UNAVAILABLE_CODES,
    card_in_reader,
    error_message,
    establish,
)
from hardware.eid.transport import CardTransport, transport_for

log = logging.getLogger(__name__)

_T = TypeVar("_T")

V1_6C_DELAY = 0.05
PRESENCE_DEADLINE = 1.5
CONNECT_DEADLINE = 2.0
RECOVER_DEADLINE = 2.0
MAX_RECOVERIES = 2


class CardLink:
    """One connection to one card; each logical operation runs inside one PC/SC transaction."""

    def __init__(self, *, reader: str, transport: CardTransport | None = None) -> None:
        self.reader = reader
        self._transport: CardTransport = transport or transport_for(reader)
        self._context = establish(self._transport)
        self._card: int | None = None
        self._protocol = 0
        self._depth = 0
        self._in_transaction = False
        self.atr = b""
        self.card_data: CardData | None = None
        self.apdu_count = 0
        self.recoveries = 0
        self._pin_verified = False
        """The card's PIN state: a reset of the card forgets it."""
        self._lock = threading.RLock()

    # -- connection ----------------------------------------------------------------------------
    def open(self) -> None:
        if not card_in_reader(self._context, self.reader, self._transport):
            raise NoCard("no card in the reader")
        deadline = time.monotonic() + CONNECT_DEADLINE
        while True:
            code, card, protocol = self._transport.connect(self._context, self.reader)
            if code == scard.SCARD_S_SUCCESS:
                break
            if code in REMOVED_CODES:
                raise NoCard(f"no card: {error_message(code)}")
            if code in UNAVAILABLE_CODES:
                raise ReaderUnavailable(f"cannot connect: {error_message(code)}")
            if code not in TRANSIENT_CONNECT_CODES or time.monotonic() >= deadline:
                raise CardCommunicationError(f"cannot connect: {error_message(code)}")
            time.sleep(0.05)
        self._card, self._protocol = int(card), int(protocol)
        with self._operation():
            code, atr = self._transport.atr(self._card)
            if code == scard.SCARD_S_SUCCESS:
                self.atr = atr
            self._with_recovery(self._start_applet)  # the previous session's reset may still run

    @contextlib.contextmanager
    def _operation(self) -> Iterator[None]:
        """One logical operation = one PC/SC transaction (nested calls share the outer one)."""
        with self._lock:
            if self._card is None:
                raise CardCommunicationError("session is closed")
            if self._depth == 0:
                self._begin()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._end()

    def _begin(self) -> None:
        assert self._card is not None
        code = self._transport.begin_transaction(self._card)
        if code != scard.SCARD_S_SUCCESS:
            raise self._error(code, "begin transaction")
        self._in_transaction = True

    def _end(self) -> None:
        if self._card is not None and self._in_transaction:
            self._transport.end_transaction(self._card)
        self._in_transaction = False

    def _start_applet(self) -> None:
        _, sw = self._command(bytes.fromhex("00A4040C0F") + APPLET_AID)
        if sw != SW_OK:
            raise NotAnEidCard(f"BELPIC applet not selectable (SW {sw:04X})")
        data, sw = self._command(bytes.fromhex("80E400001C"))
        if sw != SW_OK:
            raise NotAnEidCard(f"GET CARD DATA refused (SW {sw:04X})")
        card_data = CardData.from_bytes(data)
        if card_data.is_applet_1_8:
            data, sw = self._command(bytes.fromhex("80E400011F"))
            if sw == SW_OK:
                card_data = CardData.from_bytes(data)
        if self.card_data is not None and card_data.serial != self.card_data.serial:
            raise CardRemoved("another card is in the reader")
        self.card_data = card_data
        log.info(
            "eID session opened",
            extra={"applet": f"{card_data.applet_version:#04x}", "reader": self.reader},
        )

    def _recover(self) -> None:
        """Reset the card and select the applet again (after a lost link), within a deadline."""
        assert self._card is not None
        self.recoveries += 1
        self._pin_verified = False
        self._in_transaction = False
        deadline = time.monotonic() + RECOVER_DEADLINE
        while True:
            code, protocol = self._transport.reconnect_with_reset(self._card)
            if code == scard.SCARD_S_SUCCESS:
                break
            if time.monotonic() >= deadline:
                raise self._error(code, "reconnect")
            time.sleep(0.05)  # the link comes back on the reader's next presence poll
        self._protocol = int(protocol)
        if self._depth > 0:
            self._begin()
        self._start_applet()

    def _error(self, code: int, action: str) -> EidError | ReaderUnavailable:
        if code in UNAVAILABLE_CODES:
            return ReaderUnavailable(f"reader unavailable during {action}: {error_message(code)}")
        if code in REMOVED_CODES:
            return CardRemoved(f"card removed during {action}")
        deadline = time.monotonic() + PRESENCE_DEADLINE
        while time.monotonic() < deadline:
            try:
                if not card_in_reader(self._context, self.reader, self._transport):
                    return CardRemoved(f"card removed during {action}")
            except ReaderUnavailable as err:
                return err
            time.sleep(0.05)
        return CardCommunicationError(f"{action} failed: {error_message(code)}")

    def _with_recovery(self, action: Callable[[], _T]) -> _T:
        """Run `action`; on a lost link reset the card, select the applet and run it again."""
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                return action()
            except CardCommunicationError:
                if attempt == MAX_RECOVERIES or self._card is None:
                    raise
                log.warning("eID link lost; resetting the card", extra={"attempt": attempt})
                self._recover()
        raise AssertionError("unreachable")

    # -- transport -----------------------------------------------------------------------------
    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self._card is None:
            raise CardCommunicationError("session is closed")
        self.apdu_count += 1
        code, response = self._transport.transmit(self._card, self._protocol, apdu)
        if code in RESET_CODES:
            raise CardCommunicationError(f"card was reset: {error_message(code)}")
        if code != scard.SCARD_S_SUCCESS:
            raise self._error(code, "transmit")
        if len(response) < 2:
            raise CardCommunicationError("answer without status word")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def _command(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command, following 6Cxx (resend with Le=xx) and 61xx (GET RESPONSE)."""
        data, sw = self._transmit(apdu)
        if sw >> 8 == 0x6C and len(apdu) == 5:
            if self.card_data is not None and self.card_data.needs_6c_delay:
                time.sleep(V1_6C_DELAY)
            data, sw = self._transmit(apdu[:4] + bytes([sw & 0xFF]))
        collected = bytearray(data)
        while sw >> 8 == 0x61:
            more, sw = self._transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            collected += more
        return bytes(collected), sw

    def _select(self, df: int, ef: int | None = None) -> None:
        path = df.to_bytes(2, "big") + (b"" if ef is None else ef.to_bytes(2, "big"))
        _, sw = self._command(bytes([0x00, 0xA4, 0x08, 0x0C, len(path)]) + path)
        if sw == SW_OK:
            return
        for fid in (0x3F00, df) if ef is None else (0x3F00, df, ef):
            _, sw = self._command(bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid.to_bytes(2, "big"))
            if sw != SW_OK:
                raise CardDataError(f"file {df:04X}/{ef or 0:04X} not selectable (SW {sw:04X})")

    def _read_binary_file(self, df: int, ef: int, *, der: bool = False) -> bytes:
        """Read a transparent EF; with `der`, stop at the end of the DER element (padding skipped).

        EOF is a chunk shorter than asked (after 6Cxx). 6B00/6986 right after a full chunk may be a
        spurious EOF of a cheap reader: select the file again and retry the same offset once; a
        second 6B00 is the real end (a file whose size is a multiple of the chunk).
        """
        cap = MAX_CERTIFICATE if der else MAX_FILE_SIZE.get((df, ef), MAX_ADDRESSABLE)
        self._select(df, ef)
        content = bytearray()
        retries = 0
        limit: int | None = None
        while limit is None or len(content) < limit:
            offset = len(content)
            wanted = CHUNK if limit is None else min(CHUNK, limit - offset)
            data, sw = self._command(bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, wanted]))
            if sw == SW_OK:
                content += data
                if der and limit is None and len(content) >= 4:
                    limit = der_limit(bytes(content))
                if len(content) > cap or (limit is not None and limit > cap):
                    raise CardDataError(
                        f"file {df:04X}/{ef:04X} is larger than the card allows ({cap} bytes)"
                    )
                if len(data) < wanted:
                    break
                continue
            if sw in (0x6B00, 0x6986) and retries < 1:
                retries += 1  # cheap readers report a spurious EOF mid-file: retry once
                self._select(df, ef)
                continue
            if sw == 0x6B00 and offset > 0 and limit is None:
                break
            raise CardDataError(f"READ BINARY {df:04X}/{ef:04X} failed (SW {sw:04X})")
        return bytes(content if limit is None else content[:limit])

    def read_file(self, df: int, ef: int, *, der: bool = False) -> bytes:
        """Read one file, resetting the card and retrying when the link was lost."""
        with self._operation():
            return self._with_recovery(lambda: self._read_binary_file(df, ef, der=der))

    def close(self) -> None:
        """LOG OFF, end the transaction, disconnect with reset. Safe to call twice."""
        with self._lock:
            card, self._card = self._card, None
            self._pin_verified = False
            if card is not None:
                try:
                    if not self._in_transaction:
                        self._transport.begin_transaction(card)
                        self._in_transaction = True
                    self._transport.transmit(card, self._protocol, bytes([0x80, 0xE6, 0x00, 0x00]))
                    self._transport.end_transaction(card)
                finally:
                    self._in_transaction = False
                    self._transport.disconnect_with_reset(card)
            if self._context:
                self._transport.release(self._context)
                self._context = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

"""ZVT transport layers over a byte stream.

* `ZvtLink` (serial): DLE STX / DLE ETX frames with CRC, ACK/NAK, retransmission, inter-byte time-out.
  It keeps frames that arrive while it waits for an ACK, so no terminal message is ever dropped.
* `TcpApduLink` (ZVT over TCP/IP, port 20007): the same APDUs back to back, delimited by their own
  length field, with no framing, no CRC and no transport ACK/NAK (TCP already guarantees delivery).

Used by the driver (over pyserial or a socket) and by the terminal simulator (over a pty master fd
or a loopback socket); both links satisfy `ApduLink`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hardware.payment.transport import LinkError
from hardware.payment.zvt.codec import (
    ACK,
    NAK,
    Apdu,
    BadFrame,
    CodecError,
    FrameDecoder,
    FrameReceived,
    Transport,
    TransportByte,
    apdu_size,
    decode_apdu,
    encode_apdu,
    encode_frame,
)

log = logging.getLogger(__name__)


class ByteStream(Protocol):
    def read(self, *, timeout: float) -> bytes:
        """Return at least one byte, or b"" when `timeout` seconds pass without data."""

    def write(self, data: bytes) -> None: ...


class ApduLink(Protocol):
    def send(self, apdu: Apdu) -> None: ...

    def receive(self, *, timeout: float) -> Apdu: ...

    def has_frame(self) -> bool: ...

    def drain(self) -> None: ...


class LinkTimeout(LinkError):
    pass


class NoAck(LinkError):
    """The peer never acknowledged a frame. `refused` is True if every answer was a NAK."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


class Corrupted(LinkError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTimeouts:
    inter_byte: float = 0.2
    ack: float = 5.0


Clock = Callable[[], float]


class ZvtLink:
    def __init__(
        self,
        stream: ByteStream,
        *,
        timeouts: LinkTimeouts,
        retries: int = 3,
        clock: Clock = time.monotonic,
    ) -> None:
        self._stream = stream
        self._timeouts = timeouts
        self._retries = retries
        self._clock = clock
        self._decoder = FrameDecoder()
        self._frames: deque[bytes] = deque()
        self._transport: deque[TransportByte] = deque()

    # -- overridable hooks (the simulator injects faults here) ---------------------------------
    def _write_frame(self, frame: bytes) -> None:
        self._stream.write(frame)

    def _write_transport(self, byte: int) -> None:
        self._stream.write(bytes([byte]))

    def _refuse_frame(self, apdu: bytes) -> bool:
        del apdu
        return False

    # -- reading ------------------------------------------------------------------------------
    def _pump(self, deadline: float) -> bool:
        """Read once (until `deadline`) and sort events; False if nothing arrived."""
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            wait = min(remaining, self._timeouts.inter_byte) if self._decoder.pending else remaining
            data = self._stream.read(timeout=wait)
            if data:
                break
            if self._decoder.pending:
                log.warning("zvt frame interrupted", extra={"reason": "inter-byte time-out"})
                self._decoder.reset()
                self._write_transport(NAK)
        for event in self._decoder.feed(data):
            self._sort(event)
        return True

    def _sort(self, event: object) -> None:
        if isinstance(event, FrameReceived):
            if self._refuse_frame(event.apdu):
                self._write_transport(NAK)
                return
            self._write_transport(ACK)
            self._frames.append(event.apdu)
        elif isinstance(event, BadFrame):
            log.warning("zvt bad frame", extra={"reason": event.reason})
            self._write_transport(NAK)
        elif isinstance(event, Transport):
            self._transport.append(event.byte)

    def receive(self, *, timeout: float) -> Apdu:
        """Next APDU from the peer (already acknowledged on the wire)."""
        deadline = self._clock() + timeout
        while not self._frames:
            if not self._pump(deadline) and not self._frames:
                raise LinkTimeout(f"no frame within {timeout:.3f} s")
        raw = self._frames.popleft()
        try:
            return decode_apdu(raw)
        except CodecError as err:
            raise Corrupted(str(err)) from err

    def has_frame(self) -> bool:
        return bool(self._frames)

    # -- writing ------------------------------------------------------------------------------
    def send(self, apdu: Apdu) -> None:
        """Send one APDU and wait for its ACK, retransmitting on NAK or silence."""
        frame = encode_frame(encode_apdu(apdu))
        naks = 0
        self._transport.clear()
        for _attempt in range(self._retries):
            self._write_frame(frame)
            answer = self._wait_transport()
            if answer is TransportByte.ACK:
                return
            if answer is TransportByte.NAK:
                naks += 1
            log.info(
                "zvt frame not acknowledged",
                extra={"cls": apdu.cls, "instr": apdu.instr, "nak": answer is not None},
            )
        raise NoAck("frame not acknowledged", refused=naks == self._retries)

    def _wait_transport(self) -> TransportByte | None:
        deadline = self._clock() + self._timeouts.ack
        while not self._transport:
            if not self._pump(deadline) and not self._transport:
                return None
        return self._transport.popleft()

    def drain(self) -> None:
        """Forget buffered input (after a reconnect)."""
        self._decoder.reset()
        self._frames.clear()
        self._transport.clear()


class TcpApduLink:
    """ZVT over TCP: bare APDUs, length-delimited; a partial APDU may pause at most `inter_byte`."""

    def __init__(
        self,
        stream: ByteStream,
        *,
        timeouts: LinkTimeouts,
        clock: Clock = time.monotonic,
    ) -> None:
        self._stream = stream
        self._timeouts = timeouts
        self._clock = clock
        self._buffer = bytearray()

    def _write_apdu(self, raw: bytes) -> None:
        self._stream.write(raw)

    def send(self, apdu: Apdu) -> None:
        self._write_apdu(encode_apdu(apdu))

    def _complete(self) -> bytes | None:
        size = apdu_size(bytes(self._buffer[:5]))
        if size is None or len(self._buffer) < size:
            return None
        raw = bytes(self._buffer[:size])
        del self._buffer[:size]
        return raw

    def receive(self, *, timeout: float) -> Apdu:
        deadline = self._clock() + timeout
        while (raw := self._complete()) is None:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise LinkTimeout(f"no APDU within {timeout:.3f} s")
            partial = bool(self._buffer)
            data = self._stream.read(
                timeout=min(remaining, self._timeouts.inter_byte) if partial else remaining
            )
            if data:
                self._buffer.extend(data)
            elif partial:
                log.warning("zvt apdu interrupted", extra={"reason": "inter-byte time-out"})
                self._buffer.clear()
                raise Corrupted("APDU interrupted")
        try:
            return decode_apdu(raw)
        except CodecError as err:
            raise Corrupted(str(err)) from err

    def has_frame(self) -> bool:
        size = apdu_size(bytes(self._buffer[:5]))
        return size is not None and len(self._buffer) >= size

    def drain(self) -> None:
        self._buffer.clear()

"""The simulated terminal's faults: the scenarios, their timing, and the links that inject them.

The links subclass the driver's own link layers (`hardware.payment.zvt.link`), so the bytes on the
line are the driver's codec; the fault counters (NAK, bad CRC, swallowed ACK, split writes) are set
by the dialogue for the scenario of each payment.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hardware.payment.zvt.codec import Apdu, FrameReceived, Transport, TransportByte
from hardware.payment.zvt.link import LinkTimeouts, TcpApduLink, ZvtLink

BITS_PER_CHAR_8N2 = 11


class Scenario(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    CANCEL = "cancel"  # the resident presses the red key
    TIMEOUT = "timeout"  # no card is presented
    BUSY = "busy"  # every command refused with 84 A0
    SLOW = "slow"  # approval after `slow_delay`
    NAK = "nak"  # NAK the first `nak_count` frames of the command
    CORRUPT_CRC = "corrupt_crc"  # the first frame of every answer has a bad CRC
    SPLIT = "split"  # answers written in small pieces with gaps
    SWALLOW_ACK = "swallow_ack"  # ignore the ECR's first ACK: the terminal retransmits
    LOST_FINAL_ACK = "lost_final_ack"  # ignore the ACKs to the completion
    POWER_LOSS = "power_loss"  # approved and journaled, then dead until `restart()`
    REBOOT = "reboot"  # approved and journaled, then silent for `reboot_time`
    CABLE_PULL = "cable_pull"  # approved and journaled, then the master fd closes
    NO_ECR_ABORT = "no_ecr_abort"  # PIN entry refuses the ECR's abort; the red key ends it
    WRONG_AMOUNT = "wrong_amount"  # charges and reports `wrong_amount_delta` cents more than asked


@dataclass(frozen=True, slots=True, kw_only=True)
class SimTiming:
    step: float = 0.0  # pause between terminal messages
    slow_delay: float = 2.0
    status_interval: float = 1.0  # "insert card" repeated while waiting for a card
    card_timeout: float = 30.0  # the terminal's own card time-out
    reply: float = 5.0  # how long the terminal waits for the ECR's 80 00 00
    ack: float = 1.0  # how long the terminal waits for a transport ACK before retransmitting
    reboot_time: float = 2.0
    nak_count: int = 2
    wrong_amount_delta: int = 100
    split_gap: float = 0.05
    baudrate: int = 0  # 0: no pacing; else bytes leave at the 8N2 character time of this rate

    @property
    def char_time(self) -> float:
        """Seconds per byte on the line: 8N2 = start bit + 8 data bits + 2 stop bits."""
        return char_time(self.baudrate)

    def scaled(self, factor: float) -> SimTiming:
        return SimTiming(
            baudrate=round(self.baudrate / factor) if self.baudrate else 0,
            step=self.step * factor,
            slow_delay=self.slow_delay * factor,
            status_interval=self.status_interval * factor,
            card_timeout=self.card_timeout * factor,
            reply=self.reply * factor,
            ack=self.ack * factor,
            reboot_time=self.reboot_time * factor,
            nak_count=self.nak_count,
            wrong_amount_delta=self.wrong_amount_delta,
            split_gap=self.split_gap * factor,
        )


def char_time(baudrate: int, *, bits: int = BITS_PER_CHAR_8N2) -> float:
    """Time one character takes on an asynchronous serial line; 0 when `baudrate` is 0 (unpaced)."""
    if baudrate < 0:
        raise ValueError("baud rate must not be negative")
    return bits / baudrate if baudrate else 0.0


class TerminalDead(Exception):
    """The simulated terminal lost power / link in the middle of a dialogue."""


class EcrDisconnected(Exception):
    """The ECR closed its TCP connection."""


class FdStream:
    def __init__(self, fd: int, stop: threading.Event, *, char_time: float = 0.0) -> None:
        self.fd = fd
        self._stop = stop
        self._char_time = char_time
        self.bytes_written = 0

    def read(self, *, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            wait = min(0.05, max(0.0, deadline - time.monotonic()))
            ready, _, _ = select.select([self.fd], [], [], wait)
            if ready:
                return os.read(self.fd, 4096)
            if time.monotonic() >= deadline:
                return b""
        raise TerminalDead("stopped")

    def write(self, data: bytes) -> None:
        if self._char_time <= 0:
            self._write_all(data)
            return
        start = time.monotonic()
        for index in range(len(data)):
            self._write_all(data[index : index + 1])
            due = start + (index + 1) * self._char_time
            if self._stop.wait(max(0.0, due - time.monotonic())):
                raise TerminalDead("stopped")

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.bytes_written += len(data)


class SockStream:
    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self._stop = stop
        self.bytes_written = 0

    def read(self, *, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            wait = min(0.05, max(0.0, deadline - time.monotonic()))
            ready, _, _ = select.select([self.sock], [], [], wait)
            if ready:
                data = self.sock.recv(4096)
                if not data:
                    raise EcrDisconnected("ECR closed the connection")
                return data
            if time.monotonic() >= deadline:
                return b""
        raise TerminalDead("stopped")

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.bytes_written += len(data)


class FaultyLink(ZvtLink):
    def __init__(
        self,
        stream: FdStream,
        *,
        timeouts: LinkTimeouts,
        stop: threading.Event,
        deaf: Callable[[], bool],
    ) -> None:
        super().__init__(stream, timeouts=timeouts)
        self.stream = stream
        self._stop = stop
        self._deaf = deaf
        self.nak_frames = 0
        self.corrupt_frames = 0
        self.swallow_acks = 0
        self.split_gap: float | None = None
        self.trace: deque[tuple[str, bytes]] = deque(maxlen=500)

    def _write_frame(self, frame: bytes) -> None:
        self.trace.append(("pt", frame))
        if self.corrupt_frames > 0:
            self.corrupt_frames -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        if self.split_gap is None:
            self.stream.write(frame)
            return
        for start in range(0, len(frame), 3):
            self.stream.write(frame[start : start + 3])
            self._stop.wait(self.split_gap)

    def _refuse_frame(self, apdu: bytes) -> bool:
        self.trace.append(("ecr", apdu))
        if self.nak_frames > 0:
            self.nak_frames -= 1
            return True
        return False

    def _sort(self, event: object) -> None:
        if isinstance(event, FrameReceived) and self._deaf():
            self.trace.append(("ecr-unheard", event.apdu))
            return  # a terminal without power acknowledges nothing
        if (
            isinstance(event, Transport)
            and event.byte is TransportByte.ACK
            and self.swallow_acks > 0
        ):
            self.swallow_acks -= 1
            return
        super()._sort(event)


class FaultyTcpLink(TcpApduLink):
    """TCP has no transport layer: only `split_gap` applies; the other counters stay unused."""

    def __init__(
        self, stream: SockStream, *, timeouts: LinkTimeouts, stop: threading.Event
    ) -> None:
        super().__init__(stream, timeouts=timeouts)
        self.stream = stream
        self._stop = stop
        self.nak_frames = 0
        self.corrupt_frames = 0
        self.swallow_acks = 0
        self.split_gap: float | None = None
        self.trace: deque[tuple[str, bytes]] = deque(maxlen=500)

    def _write_apdu(self, raw: bytes) -> None:
        self.trace.append(("pt", raw))
        if self.split_gap is None:
            self.stream.write(raw)
            return
        for start in range(0, len(raw), 3):
            self.stream.write(raw[start : start + 3])
            self._stop.wait(self.split_gap)

    def receive(self, *, timeout: float) -> Apdu:
        apdu = super().receive(timeout=timeout)
        self.trace.append(("ecr", bytes([apdu.cls, apdu.instr]) + apdu.data))
        return apdu


SimLink = FaultyLink | FaultyTcpLink

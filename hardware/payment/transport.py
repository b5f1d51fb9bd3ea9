"""Transports shared by every payment protocol: a serial port or a TCP connection as a byte stream.

A protocol driver frames its messages on top of a `Stream`; `open_stream` picks the transport from
the address (``tcp://host:port`` or a serial port / pyserial URL). Serial ports open 8N2, the line
setting of ZVT and of the protocols seen so far; a driver needing another passes its own.
"""

from __future__ import annotations

import contextlib
import socket
import termios
import time
from typing import Protocol
from urllib.parse import urlsplit

import serial


class LinkError(Exception):
    """Base of transport failures (internal to the drivers; mapped to typed errors there)."""


class LinkBroken(LinkError):
    """The port or the connection failed (unplugged, closed, reset)."""


class Stream(Protocol):
    """A byte stream to a terminal, whatever carries it."""

    def read(self, *, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


# A pty or USB adapter that vanished fails in termios calls, which are not `OSError`s.
_SERIAL_FAULTS = (serial.SerialException, OSError, termios.error)


class SerialStream:
    """pyserial port as a `ByteStream`; a fixed short port time-out, looped up to the deadline."""

    def __init__(self, port: serial.Serial) -> None:
        self._port = port

    def read(self, *, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        try:
            while True:
                data: bytes = self._port.read(max(1, self._port.in_waiting))
                if data or time.monotonic() >= deadline:
                    return data
        except _SERIAL_FAULTS as err:
            raise LinkBroken(str(err)) from err

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except _SERIAL_FAULTS as err:
            raise LinkBroken(str(err)) from err

    def discard_input(self) -> None:
        try:
            self._port.reset_input_buffer()
        except _SERIAL_FAULTS as err:
            raise LinkBroken(str(err)) from err

    def close(self) -> None:
        self._port.close()


class SocketStream:
    """A connected TCP socket as a `ByteStream`; end of stream or a reset is a broken link."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def read(self, *, timeout: float) -> bytes:
        try:
            self._sock.settimeout(max(timeout, 0.001))
            data = self._sock.recv(4096)
        except TimeoutError:
            return b""
        except OSError as err:
            raise LinkBroken(str(err)) from err
        if not data:
            raise LinkBroken("connection closed by the terminal")
        return data

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(5.0)
            self._sock.sendall(data)
        except OSError as err:
            raise LinkBroken(str(err)) from err

    def discard_input(self) -> None:
        try:
            self._sock.setblocking(False)
            while self._sock.recv(4096):
                pass
            raise LinkBroken("connection closed by the terminal")
        except BlockingIOError:
            return
        except OSError as err:
            raise LinkBroken(str(err)) from err
        finally:
            with contextlib.suppress(OSError):
                self._sock.setblocking(True)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


def tcp_address(url: str) -> tuple[str, int] | None:
    """(host, port) for a `tcp://host:port` address, None for a serial port or pyserial URL."""
    if not url.startswith("tcp://"):
        return None
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"bad terminal address {url}")
    return (parts.hostname, parts.port)


def open_stream(
    url: str,
    *,
    baudrate: int = 9600,
    connect_timeout: float = 15.0,
    read_slice: float = 0.05,
    stopbits: float = serial.STOPBITS_TWO,
) -> tuple[Stream, bool]:
    """Open `url`; return the stream and whether it is TCP (no serial framing needed there).

    Raises `OSError`, `serial.SerialException` or `ValueError` when the address cannot be opened.
    """
    address = tcp_address(url)
    if address is not None:
        sock = socket.create_connection(address, timeout=connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return SocketStream(sock), True
    port = serial.serial_for_url(
        url,
        baudrate=baudrate,
        bytesize=serial.EIGHTBITS,
        parity=serial.PARITY_NONE,
        stopbits=stopbits,
        timeout=read_slice,
    )
    return SerialStream(port), False

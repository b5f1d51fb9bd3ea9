"""The simulated terminal's line: a pseudo-terminal or a loopback TCP port, served by one thread.

Serial: the line owns the pty master and keeps its own slave fd open, so the ECR may close and
reopen the port (at `link_path`, a symlink to the slave) without the master seeing EIO. With
`SimTiming.baudrate` set, it paces what it writes at the 8N2 character time (11 bits per byte),
which a pty does not do by itself.

TCP (`tcp_port`): the line listens on 127.0.0.1 and speaks bare APDUs (ZVT over TCP/IP has no
DLE/CRC framing and no transport ACK), one ECR connection at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import tty
from pathlib import Path
from types import TracebackType
from typing import Self

from hardware.payment.transport import LinkError
from hardware.payment.zvt.codec import Apdu
from hardware.payment.zvt.link import LinkTimeouts
from hardware.simulators.zvt.faults import (
    EcrDisconnected,
    FaultyLink,
    FaultyTcpLink,
    FdStream,
    Scenario,
    SimLink,
    SimTiming,
    SockStream,
    TerminalDead,
)

log = logging.getLogger(__name__)


class TerminalLine:
    """The terminal's end of the line: the pty or TCP listener, its thread, power and cable.

    Subclasses hold the dialogue: `_handle` answers one ECR command on the link.
    """

    def __init__(
        self,
        *,
        link_path: str | Path | None = None,
        timing: SimTiming | None = None,
        tcp_port: int | None = None,
    ) -> None:
        """Serial on a pty at `link_path`, or TCP on 127.0.0.1:`tcp_port` (0 picks a free port)."""
        if (link_path is None) == (tcp_port is None):
            raise ValueError("give exactly one of link_path and tcp_port")
        self._link_path = Path(link_path) if link_path is not None else None
        self.tcp_port = tcp_port
        self.timing = timing or SimTiming()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._link: SimLink | None = None
        self._dead_until: float | None = None
        self.bytes_written = 0

    @property
    def scenario(self) -> Scenario:
        """The scenario of the next payment (the dialogue's; named in the line's log)."""
        raise NotImplementedError

    def _handle(self, link: SimLink, apdu: Apdu) -> None:
        """Answer one ECR command on `link` (the dialogue)."""
        raise NotImplementedError

    @property
    def link_path(self) -> Path:
        if self._link_path is None:
            raise ValueError("a TCP simulator has no link path; use `address`")
        return self._link_path

    @property
    def address(self) -> str:
        """What to give the driver: the pty link path, or `tcp://127.0.0.1:PORT`."""
        if self._link_path is not None:
            return str(self._link_path)
        return f"tcp://127.0.0.1:{self.tcp_port}"

    def wait_idle(self, timeout: float) -> bool:
        """True once no dialogue is running (e.g. after the ECR vanished mid-payment)."""
        return self._idle.wait(timeout)

    def wait_booted(self, timeout: float) -> bool:
        """True once a `reboot` is over (False if it takes longer than `timeout`, or power is off)."""
        deadline = time.monotonic() + timeout
        while True:
            dead_until = self._dead_until
            if dead_until is None or time.monotonic() >= dead_until:
                return True
            remaining = min(dead_until, deadline) - time.monotonic()
            if time.monotonic() >= deadline or self._stop.wait(max(0.0, remaining)):
                return False

    def _deaf(self) -> bool:
        dead_until = self._dead_until
        return dead_until is not None and time.monotonic() < dead_until

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is not None:
            return self
        self._stop.clear()
        if self._link_path is not None:
            self._open_pty()
            target = self._serve
        else:
            self._listen()
            target = self._serve_tcp
        self._thread = threading.Thread(target=target, name="zvt-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        self._close_pty()
        self._close_tcp()
        self._idle.set()
        if self._link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                if self._link_path.is_symlink():
                    self._link_path.unlink()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.tcp_port or 0))
        listener.listen(1)
        listener.settimeout(0.05)
        self.tcp_port = listener.getsockname()[1]
        self._listener = listener

    def _close_tcp(self) -> None:
        for sock in (self._conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._conn = self._listener = None

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link_path)
        t = self.timing
        stream = FdStream(master, self._stop, char_time=t.char_time)
        self._link = FaultyLink(
            stream,
            timeouts=LinkTimeouts(inter_byte=0.5, ack=max(t.ack, 0.02)),
            stop=self._stop,
            deaf=self._deaf,
        )

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    # -- serving ------------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            link = self._link
            if link is None:
                return
            try:
                apdu = link.receive(timeout=0.1)
            except LinkError:
                continue
            except (TerminalDead, EcrDisconnected, OSError):
                return
            self._dispatch(link, apdu)

    def _serve_tcp(self) -> None:
        listener = self._listener
        while listener is not None and not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
            t = self.timing
            link = FaultyTcpLink(
                SockStream(conn, self._stop),
                timeouts=LinkTimeouts(inter_byte=0.5, ack=max(t.ack, 0.02)),
                stop=self._stop,
            )
            self._link = link
            with conn:
                while not self._stop.is_set():
                    try:
                        apdu = link.receive(timeout=0.1)
                    except LinkError:
                        continue
                    except (TerminalDead, EcrDisconnected, OSError):
                        break
                    if not self._dispatch(link, apdu):
                        break

    def _dispatch(self, link: SimLink, apdu: Apdu) -> bool:
        """Handle one command; False when the (TCP) connection is gone."""
        if self._deaf():
            return True
        self._dead_until = None
        self._idle.clear()
        try:
            self._handle(link, apdu)
        except TerminalDead:
            log.info("simulated terminal went dead", extra={"scenario": self.scenario})
        except EcrDisconnected:
            return False
        except (LinkError, OSError) as err:
            log.info("simulated terminal dialogue broken", extra={"error": str(err)})
        finally:
            self.bytes_written = link.stream.bytes_written
            self._idle.set()
        return True

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self._stop.wait(seconds):
            raise TerminalDead("stopped")

    def _pull_cable(self) -> None:
        """Plug a fresh line in at the link path, then close the old one (the ECR sees EIO).

        Over TCP: the connection is closed; the ECR may connect again."""
        if self._link_path is None:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.shutdown(socket.SHUT_RDWR)
            return
        old = (self._master, self._slave)
        self._open_pty()
        for fd in old:
            if fd is not None:
                os.close(fd)

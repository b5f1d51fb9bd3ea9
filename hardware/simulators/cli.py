"""What the simulators' command lines share: stopping on a signal, the live control socket, the ready line.

A simulator process prints one JSON line when it is ready, runs until SIGTERM or SIGINT, and, with
`--control PATH`, answers one command line per connection on a Unix stream socket with one JSON
line (the commands are the simulator's own: `answer` turns a line into its reply).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self

Answer = Callable[[str], dict[str, object]]


def add_control_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--control", type=Path, default=None, help="Unix socket for live control")


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (handlers installed in the calling, main, thread)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def print_ready(fields: dict[str, object]) -> None:
    """The one JSON line that tells the parent process the simulator is up."""
    print(json.dumps(fields), flush=True)


class ControlSocket:
    """The control socket at `path` (None: none), served by its own thread until `close`."""

    def __init__(
        self, path: Path | None, answer: Answer, *, name: str, reply_timeout: float
    ) -> None:
        self.path = path
        self._answer = answer
        self._name = name
        self._reply_timeout = reply_timeout
        self._server: socket.socket | None = None
        self._closed = threading.Event()

    def open(self) -> Self:
        if self.path is None:
            return self
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(4)
        self._server = server
        threading.Thread(target=self._serve, args=(server,), name=self._name, daemon=True).start()
        return self

    def _serve(self, server: socket.socket) -> None:
        server.settimeout(0.2)
        while not self._closed.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(self._reply_timeout)
                try:
                    line = conn.makefile("r", encoding="utf-8").readline()
                    conn.sendall((json.dumps(self._answer(line)) + "\n").encode())
                except OSError:
                    continue

    def close(self) -> None:
        self._closed.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""pcscd with the vpcd driver, for tests and demos.

`PcscdService` reuses a pcscd that already answers on its socket (it must list the "Virtual PCD"
readers), otherwise starts `pcscd --foreground` as a child with its own log file and stops it again
on `stop()`. Never `--auto-exit`: vpcd's listening port would vanish after 60 s without clients.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hardware.errors import DeviceUnavailable

log = logging.getLogger(__name__)

RUN_DIR = Path("/run/pcscd")
SOCKET_PATH = RUN_DIR / "pcscd.comm"
PID_PATH = RUN_DIR / "pcscd.pid"
VPCD_BASE_PORT = 0x8C7B
READER_PREFIX = "Virtual PCD"
PCSCD = "pcscd"


class PcscdError(DeviceUnavailable):
    translation_key = "error.pcscd_unavailable"

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(
            f"pcscd: {message}" + (f"\n--- pcscd log ---\n{log_tail}" if log_tail else ""),
            device="pcscd",
            recoverable=False,
        )
        self.log_tail = log_tail


def socket_answers(path: Path = SOCKET_PATH) -> bool:
    """True when something accepts connections on the pcscd socket."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def list_readers() -> list[str]:
    """Reader names from a fresh PC/SC context ([] when pcscd has none or is not there)."""
    from smartcard.scard import (  # noqa: PLC0415 - the C library is only needed when used
        SCARD_S_SUCCESS,
        SCARD_SCOPE_USER,
        SCardEstablishContext,
        SCardListReaders,
        SCardReleaseContext,
    )

    result, context = SCardEstablishContext(SCARD_SCOPE_USER)
    if result != SCARD_S_SUCCESS:
        return []
    try:
        result, readers = SCardListReaders(context, [])
        if result != SCARD_S_SUCCESS:
            return []
        return list(readers)
    finally:
        SCardReleaseContext(context)


def _process_alive(pid: int) -> bool:
    """True when `pid` is a live (not zombie) pcscd."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != PCSCD:
            return False
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("State:"):
            return "Z" not in line.split()[1]
    return True


def _wait_until(condition: Callable[[], bool], deadline: float, interval: float = 0.05) -> bool:
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


class PcscdService:
    """A pcscd with the vpcd reader for the lifetime of the `with` block (or start/stop)."""

    def __init__(
        self,
        *,
        log_path: Path | None = None,
        vpcd_host: str = "127.0.0.1",
        reader_prefix: str = READER_PREFIX,
        start_timeout: float = 10.0,
        debug: bool = False,
    ) -> None:
        self.vpcd_host = vpcd_host
        self.reader_prefix = reader_prefix
        self.start_timeout = start_timeout
        self.debug = debug
        self.log_path = log_path or Path(tempfile.gettempdir()) / "borne-pcscd" / (
            f"pcscd-{os.getpid()}-{id(self):x}.log"
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def started_here(self) -> bool:
        return self._process is not None

    def vpcd_port(self, slot: int = 0) -> int:
        return VPCD_BASE_PORT + slot

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _has_vpcd(self) -> bool:
        return any(name.startswith(self.reader_prefix) for name in list_readers())

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._process is not None:
            return
        deadline = time.monotonic() + self.start_timeout
        if socket_answers():
            if _wait_until(self._has_vpcd, min(deadline, time.monotonic() + 2.0)):
                log.info("reusing the running pcscd")
                return
            raise PcscdError("a pcscd runs but lists no vpcd reader")
        self._clear_previous(deadline)
        if socket_answers() and _wait_until(self._has_vpcd, min(deadline, time.monotonic() + 2.0)):
            log.info("reusing the pcscd that just came up")
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        arguments = [PCSCD, "--foreground"] + (["--debug"] if self.debug else [])
        if shutil.which("stdbuf"):
            arguments = ["stdbuf", "-oL", "-eL", *arguments]  # keep the log file current
        with self.log_path.open("ab") as log_file:
            try:
                self._process = subprocess.Popen(
                    arguments, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            except OSError as err:
                raise PcscdError(f"cannot run {PCSCD}: {err}") from err
        process = self._process

        def ready() -> bool:
            return process.poll() is not None or (socket_answers() and self._has_vpcd())

        if not _wait_until(ready, deadline) or process.poll() is not None:
            code = process.poll()
            self._terminate()
            raise PcscdError(
                "did not come up with the vpcd reader"
                + ("" if code is None else f" (exit status {code})"),
                log_tail=self.log_tail(),
            )
        log.info("pcscd started", extra={"pid": process.pid, "log": str(self.log_path)})

    def _clear_previous(self, deadline: float) -> None:
        """Wait for a previous instance to finish exiting; remove stale socket and pid files."""
        pid: int | None = None
        with contextlib.suppress(OSError, ValueError):
            pid = int(PID_PATH.read_text().strip())
        if (
            pid is not None
            and _process_alive(pid)
            and not _wait_until(lambda: not _process_alive(pid) or socket_answers(), deadline)
        ):
            raise PcscdError(f"a previous pcscd (pid {pid}) neither answers nor exits")
        for stale in (SOCKET_PATH, PID_PATH):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    def stop(self) -> None:
        if self._process is None:
            return
        self._terminate()
        log.info("pcscd stopped")

    def kill(self) -> None:
        """Kill the pcscd started here with SIGKILL, as a crash would; `start()` brings it back."""
        process, self._process = self._process, None
        if process is None:
            raise PcscdError("this service did not start pcscd, so it does not kill it")
        process.kill()
        process.wait(timeout=5)
        log.warning("pcscd killed", extra={"pid": process.pid})

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        # pcscd removes its socket on a clean exit; make sure nothing stale stays behind.
        if not socket_answers():
            for stale in (SOCKET_PATH, PID_PATH):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()

    def __enter__(self) -> PcscdService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

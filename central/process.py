"""Run the central server as a child process (for `sim up` and the tests).

`start_central` spawns `python -m central serve`, waits for its ready line with a deadline and
returns a `RunningCentral` handle. The child's stderr (JSON logs) goes to a log file; when the
server does not come up, `CentralStartError` carries the tail of that log.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from central.errors import CentralStartError

_PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
_LOG_TAIL_BYTES: Final = 4000


def _log_tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no log)"
    return data[-_LOG_TAIL_BYTES:].decode("utf-8", errors="replace")


def _drain(stream: IO[bytes]) -> None:
    """Keep reading the child's stdout so that it can never block on a full pipe."""
    with stream:
        while stream.read(4096):
            pass


class RunningCentral:
    """A central server child process. Use as a context manager, or call `stop()`."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        url: str,
        db_path: Path | None,
        log_path: Path,
        db_url: str | None = None,
    ) -> None:
        self._process = process
        self.url = url
        self.pid = process.pid
        self.db_path = db_path
        self.db_url = db_url
        """The database's SQLAlchemy URL (the operator commands work on it directly)."""
        self.log_path = log_path
        assert process.stdout is not None
        self._drainer = threading.Thread(
            target=_drain, args=(process.stdout,), name="central-stdout", daemon=True
        )
        self._drainer.start()

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self, *, timeout: float = 10.0) -> int:
        """Stop gracefully (SIGTERM), killing after `timeout`. Idempotent.

        Returns the exit status; after a graceful stop uvicorn re-raises SIGTERM, so it is
        `-signal.SIGTERM` then.
        """
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=timeout)
        self._drainer.join(timeout=timeout)
        return self._process.returncode

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash or a power cut would."""
        if self._process.poll() is None:
            self._process.kill()
        self.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _read_ready_line(process: subprocess.Popen[bytes], *, deadline: float) -> bytes:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not selector.select(timeout=min(remaining, 0.5)):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise EOFError
            buffer += chunk
    return buffer.split(b"\n", 1)[0]


def _serve_command(
    *,
    host: str,
    port: int,
    database: str,
    register_path: Path | None,
    max_body_bytes: int | None,
    tls: tuple[Path, Path] | None,
    seal_roots: tuple[Path, ...],
    citizen_roots: tuple[Path, ...],
) -> list[str]:
    """`python -m central serve ...` with the options given."""
    command = [
        sys.executable,
        "-m",
        "central",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--db",
        database,
    ]
    if register_path is not None:
        command += ["--register", str(register_path)]
    if max_body_bytes is not None:
        command += ["--max-body-bytes", str(max_body_bytes)]
    if tls is not None:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    for root in seal_roots:
        command += ["--seal-root", str(root)]
    for root in citizen_roots:
        command += ["--citizen-root", str(root)]
    return command


def _child_env(env: dict[str, str] | None) -> dict[str, str]:
    """The child's environment: the project importable, output unbuffered."""
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(_PROJECT_ROOT), child_env.get("PYTHONPATH", "")])
    )
    child_env["PYTHONUNBUFFERED"] = "1"
    return child_env


def start_central(
    *,
    db_path: Path | None = None,
    db_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log_path: Path | None = None,
    register_path: Path | None = None,
    seal_roots: tuple[Path, ...] = (),
    citizen_roots: tuple[Path, ...] = (),
    max_body_bytes: int | None = None,
    tls: tuple[Path, Path] | None = None,
    env: dict[str, str] | None = None,
    startup_timeout: float = 30.0,
) -> RunningCentral:
    """Start the central server in a child process and wait until it listens.

    The database is a SQLite file (`db_path`) or a URL (`db_url`, e.g. PostgreSQL); the log goes
    beside the SQLite file unless `log_path` is given (required with `db_url`).
    """
    if (db_path is None) == (db_url is None):
        raise ValueError("give exactly one of db_path and db_url")
    if log_path is not None:
        log = log_path
    elif db_path is not None:
        log = db_path.with_name(db_path.name + ".log")
    else:
        raise ValueError("log_path is required with db_url")
    command = _serve_command(
        host=host,
        port=port,
        database=db_url if db_url is not None else str(db_path),
        register_path=register_path,
        max_body_bytes=max_body_bytes,
        tls=tls,
        seal_roots=seal_roots,
        citizen_roots=citizen_roots,
    )
    child_env = _child_env(env)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log_file, env=child_env, cwd=_PROJECT_ROOT
        )
    try:
        line = _read_ready_line(process, deadline=time.monotonic() + startup_timeout)
        info = json.loads(line)
        url = str(info["url"])
    except (TimeoutError, EOFError, ValueError, KeyError, TypeError) as err:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        raise CentralStartError(
            f"the central server did not start ({type(err).__name__})", log_tail=_log_tail(log)
        ) from err
    database = db_url if db_url is not None else f"sqlite:///{Path(str(db_path)).resolve()}"
    return RunningCentral(process=process, url=url, db_path=db_path, log_path=log, db_url=database)

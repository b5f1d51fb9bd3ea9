"""A private PostgreSQL cluster in a temporary folder, for tests, benchmarks and local trials.

`PgCluster.start()` runs Debian's `initdb` and `pg_ctl` (from `/usr/lib/postgresql/*/bin`) on a
free loopback port with trust authentication for one role, and `stop()` shuts it down and removes
the folder. `initdb` refuses to run as root: as root the cluster is made and run by the
`postgres` system account (which owns the folder). Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Final, Self

import sqlalchemy as sa

from central.errors import CentralError

ROLE: Final = "borne"
_SYSTEM_ACCOUNT: Final = "postgres"


class PgClusterError(CentralError):
    """The private PostgreSQL cluster could not be made or started."""


def postgres_bin_dir() -> Path | None:
    """The folder of the newest installed PostgreSQL server programs, or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PgCluster:
    """One running private cluster; `url(name)` gives a SQLAlchemy URL for a database in it."""

    def __init__(self, *, root: Path, port: int, bin_dir: Path, run_as: str | None) -> None:
        self.root = root
        self.port = port
        self._bin = bin_dir
        self._run_as = run_as

    @classmethod
    def start(cls) -> PgCluster:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise PgClusterError("PostgreSQL is not installed (Debian package `postgresql`)")
        run_as = _SYSTEM_ACCOUNT if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="borne-pg-"))
        if run_as is not None:
            account = pwd.getpwnam(run_as)
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster = cls(root=root, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
        try:
            cluster._init_and_start()
        except (OSError, subprocess.SubprocessError) as err:
            cluster.stop()
            raise PgClusterError(f"cannot start PostgreSQL in {root}: {err}") from err
        return cluster

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _init_and_start(self) -> None:
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", ROLE, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (letters, digits, `_`) and return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad database name {name!r}")
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the folder. Idempotent."""
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
            except (OSError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

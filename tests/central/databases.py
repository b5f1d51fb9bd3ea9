"""The two database back-ends the central suite runs on: a SQLite file and a private PostgreSQL.

One private PostgreSQL cluster serves the whole test run (started on first use, stopped when the
run ends); each test gets a fresh database in it, so tests never see each other's rows.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path

import pytest

from central.db import sqlite_url
from central.pgcluster import PgCluster, PgClusterError, postgres_bin_dir

BACKENDS = ("sqlite", "postgresql")

_cluster: PgCluster | None = None


def shared_cluster() -> PgCluster:
    """The run's PostgreSQL cluster; a missing PostgreSQL skips, or fails under the real stack."""
    global _cluster  # noqa: PLW0603 (one cluster for the whole test run)
    if _cluster is None:
        if postgres_bin_dir() is None and not os.environ.get("BORNE_REQUIRE_REAL_STACK"):
            pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
        try:
            _cluster = PgCluster.start()
        except PgClusterError as err:
            pytest.fail(str(err))
        atexit.register(_cluster.stop)
    return _cluster


def database_url(backend: str, tmp_path: Path) -> str:
    """A fresh, empty database of `backend`."""
    if backend == "sqlite":
        return sqlite_url(tmp_path / f"central-{uuid.uuid4().hex[:8]}.sqlite3")
    return shared_cluster().create_database(f"t_{uuid.uuid4().hex[:16]}")

"""Fixtures of the central server's tests: the suite runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from central.store import SqlCentralStore
from tests.central.databases import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(str(request.param), tmp_path)


@pytest.fixture
def store(db_url: str) -> Iterator[SqlCentralStore]:
    store = SqlCentralStore(db_url)
    try:
        yield store
    finally:
        store.close()

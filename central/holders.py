"""The central's keyed hash of a resident, linking their documents without their national number.

When the central releases a register extract (after the card's proof), it hands the kiosk the
resident's `holder_ref`: HMAC-SHA256 of the national number under a key that never leaves the
central's database. The kiosk puts it in the `issued` records of that resident's documents; "my
requests" recomputes it from the proved national number and finds them. Neither the kiosk's outbox
nor the central's tables hold a national number, and a `holder_ref` cannot be reversed by trying
every number without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from central import db
from central.errors import StoreError

_KEY_NAME: Final = "citizen_holder_key"


class HolderKeys:
    """Makes `holder_ref`s with the database's key (created once, shared by every process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _load(self) -> bytes:
        table = db.server_secrets
        dialect = self._engine.dialect.name
        insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert.values(
                        name=_KEY_NAME, value=secrets.token_hex(32)
                    ).on_conflict_do_nothing(index_elements=["name"])
                )
                value = connection.execute(
                    sa.select(table.c.value).where(table.c.name == _KEY_NAME)
                ).scalar_one()
        except sa.exc.SQLAlchemyError as err:
            raise StoreError("cannot read the holder key") from err
        return bytes.fromhex(str(value))

    def holder_ref(self, national_number: str) -> str:
        """64 hex digits naming this resident to the central only."""
        with self._lock:
            if self._key is None:
                self._key = self._load()
            key = self._key
        return hmac.new(key, b"holder:" + national_number.encode(), hashlib.sha256).hexdigest()

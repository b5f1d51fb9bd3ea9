"""The base of the sync messages (see `offline_queue.wire`, which every peer imports)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION: Final = 1
"""Version of the messages of `offline_queue.wire`."""

SchemaVersion = Literal[1]


class WireModel(BaseModel):
    """Base of every sync message: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

"""The base of the sync messages (see `offline_queue.wire`, which every peer imports)."""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION: Final = 1
"""Version of the messages of `offline_queue.wire`."""

SchemaVersion = Literal[1]


class WireModel(BaseModel):
    """Base of every sync message: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


NATIONAL_NUMBER_LIKE: Final = re.compile(
    r"(?<![0-9A-Za-z])\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{3}[ .-]?\d{2}(?![0-9A-Za-z])"
)
"""A national number written on its own (85031412401, 85.03.14-124.01), not digits inside an id."""

"""The base of the sync messages (see `offline_queue.wire`, which every peer imports)."""

from __future__ import annotations

import re
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION: Final = 1
"""Version of the messages of `offline_queue.wire`."""

SchemaVersion = Literal[1]


def _closed_maps(schema: dict[str, Any]) -> None:
    """A map whose keys must match a pattern refuses the others: say so in its JSON schema.

    pydantic describes `dict[Pattern, V]` with `patternProperties` only, which admits any other key
    with any value, while validation refuses them; `additionalProperties: false` makes the
    published schema (the OpenAPI's) say what the server accepts.
    """
    if "patternProperties" in schema:
        schema.setdefault("additionalProperties", False)
    for value in schema.values():
        if isinstance(value, dict):
            _closed_maps(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _closed_maps(item)


class WireModel(BaseModel):
    """Base of every sync message: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_closed_maps)


NATIONAL_NUMBER_LIKE: Final = re.compile(
    r"(?<![0-9A-Za-z])\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{3}[ .-]?\d{2}(?![0-9A-Za-z])"
)
"""A national number written on its own (85031412401, 85.03.14-124.01), not digits inside an id."""

"""The fleet's translated texts (central/fleet/i18n/*.json): alert titles and what to do."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("fr", "nl", "en")
_FOLDER: Final = Path(__file__).resolve().parent / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise KeyError(language)
    data = json.loads((_FOLDER / f"{language}.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def text(key: str, language: str) -> str:
    """The text of `key` in `language` (the key itself when it is missing)."""
    return catalogue(language).get(key, key)

"""The console's languages: French, Dutch and English catalogues of translation keys.

The language is the `borne_console_lang` cookie (set by the switcher), else the best match of the
browser's `Accept-Language`, else French. A key missing from a catalogue shows as the key itself
(a test checks every key used exists in all three).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("fr", "nl", "en")
DEFAULT_LANGUAGE: Final = "fr"
LANG_COOKIE: Final = "borne_console_lang"
CATALOGUE_DIR: Final = Path(__file__).resolve().parent / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    data = json.loads((CATALOGUE_DIR / f"{language}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"{language}.json is not a key → text map")
    return {str(k): str(v) for k, v in data.items()}


def translate(language: str, key: str, **values: object) -> str:
    text = catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def negotiate(accept_language: str | None, cookie: str | None = None) -> str:
    """The language to answer in: the cookie's choice, else the browser's best supported one."""
    if cookie in LANGUAGES:
        return str(cookie)
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        score = q - position * 1e-6  # earlier wins among equals
        if score > best_q:
            best, best_q = primary, score
    return best

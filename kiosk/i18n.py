"""Translation keys to text, from `assets/i18n/<lang>.json`.

Lookup falls back to French, then to the key itself, so a missing text never crashes a screen.
The assets are found beside the code: `<repo>/assets/i18n` from the source tree, or
`<bundle>/assets/i18n` in the PyInstaller bundle; `BORNE_ASSETS_DIR` overrides both.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import string
import sys
from collections.abc import Mapping
from pathlib import Path

from hardware.errors import BorneError

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("fr", "nl", "de", "en")
FALLBACK_LANGUAGE = "fr"


class TranslationsMissing(BorneError):
    """The translation files could not be read: the installation is broken."""


def assets_dir() -> Path:
    override = os.environ.get("BORNE_ASSETS_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parent.parent / "assets"


def i18n_dir() -> Path:
    return assets_dir() / "i18n"


@functools.cache
def catalog(lang: str) -> Mapping[str, str]:
    """All texts of one language (empty when the language has no file)."""
    path = i18n_dir() / f"{lang}.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TranslationsMissing(f"cannot read {path.name}") from err
    if not isinstance(data, dict):
        raise TranslationsMissing(f"{path.name} is not an object")
    return {str(k): str(v) for k, v in data.items()}


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(key: str, lang: str, /, **params: object) -> str:
    """The text for `key` in `lang`, else French, else the key; `{name}` placeholders filled."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(FALLBACK_LANGUAGE).get(key)
        if text is None:
            log.warning("translation_missing", extra={"key": key, "lang": lang})
            return key
    if not params:
        return text
    values = _KeepMissing({name: str(value) for name, value in params.items()})
    try:
        return string.Formatter().vformat(text, (), values)
    except (ValueError, IndexError):
        return text


def format_price(cents: int, lang: str) -> str:
    """Euro amount as residents read it: "2,50 €" (fr, nl, de) or "€2.50" (en)."""
    euros, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if lang == "en":
        return f"{sign}€{euros}.{rest:02d}"
    return f"{sign}{euros},{rest:02d} €"

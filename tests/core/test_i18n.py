from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.i18n import LANGUAGES, catalog, format_price, translate
from kiosk.journey import PROMPT_KEYS, document_title_key

REPO = Path(__file__).resolve().parents[2]
NAMESPACES = (
    "attract", "language", "insert_card", "reading", "pin", "verifying", "documents", "summary",
    "payment", "issuing", "reversing", "take_documents", "remove_card", "error", "eid",
    "printing", "document", "common", "timeout",
)  # fmt: skip
KEY_SHAPE = re.compile(rf"^(?:{'|'.join(NAMESPACES)})\.[a-z_]+(?:\.[a-z_]+)*$")
REQUIRED = {
    "error.generic", "error.device", "error.device_unavailable", "error.device_busy",
    "error.device_timeout", "error.cancelled", "eid.error.expired", "eid.error.verification",
    "eid.error.pin_blocked", "eid.error.card_removed", "payment.declined",
    "payment.status.insert_card", "payment.status.enter_pin", "payment.status.processing",
    "printing.error", "document.household", "document.residence", "document.residence_history",
    "document.nationality", "document.life", "document.registration",
}  # fmt: skip


def keys_in_source() -> set[str]:
    keys: set[str] = set()
    files = [REPO / "kiosk" / "journey.py", REPO / "kiosk" / "session.py"]
    files += sorted((REPO / "ui").rglob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY_SHAPE.match(node.value)
            ):
                keys.add(node.value)
    return keys


def test_source_scan_finds_keys() -> None:
    assert {"pin.wrong", "summary.total", "common.cancel"} <= keys_in_source()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_in_code_exists(lang: str) -> None:
    used = keys_in_source() | REQUIRED | set(PROMPT_KEYS.values())
    used |= {document_title_key(t) for t in ("household", "residence", "life")}
    missing = sorted(k for k in used if k not in catalog(lang))
    assert missing == []


def test_all_languages_have_the_same_keys() -> None:
    reference = set(catalog("fr"))
    for lang in LANGUAGES:
        assert set(catalog(lang)) == reference, lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_french(lang: str) -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, text in catalog("fr").items():
        assert set(field.findall(catalog(lang)[key])) == set(field.findall(text)), key


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert translate("pin.tries_left", "nl", tries=2) == "Resterende pogingen: 2"
    assert translate("pin.wrong", "xx") == translate("pin.wrong", "fr")
    assert translate("no.such.key", "de") == "no.such.key"
    assert translate("summary.total", "en") == "Total: {total}"


def test_language_names_are_in_their_own_language() -> None:
    names = {lang: translate("language.name", lang) for lang in LANGUAGES}
    assert names == {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


def test_prices() -> None:
    assert format_price(250, "fr") == "2,50 €"
    assert format_price(1005, "en") == "€10.05"


def test_assets_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BORNE_ASSETS_DIR", str(tmp_path))
    assert i18n.i18n_dir() == tmp_path / "i18n"
    monkeypatch.delenv("BORNE_ASSETS_DIR")
    assert (i18n.i18n_dir() / "fr.json").is_file()

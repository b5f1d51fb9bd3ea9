"""Every console text is a translation key present in French, Dutch and English."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from central.console.i18n import CATALOGUE_DIR, LANGUAGES, catalogue, negotiate
from central.console.reconciliation_page import DIFFERENCE_CODES
from central.fleet.overrides import FieldKind
from central.lookup_audit import OUTCOMES
from offline_queue.wire import CommandKind

_CONSOLE = CATALOGUE_DIR.parent
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")
_DYNAMIC_KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+\.)["']\s*~""")
_PREFIXES = ("advice.", "timeline.", "notice.", "error.", "login.", "time.")


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for template in (_CONSOLE / "templates").glob("*.html"):
        keys |= set(_LITERAL_KEY.findall(template.read_text(encoding="utf-8")))
    return keys


def _python_keys() -> set[str]:
    """String constants in the console's code that name a key (`advice.offline`, …)."""
    keys: set[str] = set()
    for module in _CONSOLE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith(_PREFIXES)
                and not node.value.endswith(".html")
                and re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", node.value)
            ):
                keys.add(node.value)
    return keys


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_catalogues_hold_the_same_keys_with_the_same_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        other = catalogue(language)
        assert set(other) == set(english), language
        for key, text in english.items():
            assert _placeholders(other[key]) == _placeholders(text), (language, key)


def test_every_key_used_exists_in_every_language() -> None:
    used = _template_keys() | _python_keys()
    assert len(used) > 80  # the scan found the pages' keys
    for language in LANGUAGES:
        missing = used - set(catalogue(language))
        assert not missing, (language, sorted(missing))


def test_every_dynamic_key_family_is_complete() -> None:
    families = {
        "status.": ("all", "online", "offline"),
        "mode.": ("in_service", "out_of_service", "maintenance"),
        "role.": ("viewer", "operator", "admin"),
        "enrollment.state.": ("pending", "accepted", "rejected", "revoked", "all"),
        "enrollments.": ("accept", "reject", "revoke"),
        "notice.": ("accepted", "rejected", "revoked", "wrong_state"),
        "command.": tuple(k.value for k in CommandKind),
        "reconcile.code.": DIFFERENCE_CODES,
        "reconcile.action.": DIFFERENCE_CODES,
        "kconfig.kind.": tuple(k.value for k in FieldKind),
        "lookups.outcome.": OUTCOMES,
    }
    found = set()
    for template in (_CONSOLE / "templates").glob("*.html"):
        found |= set(_DYNAMIC_KEY.findall(template.read_text(encoding="utf-8")))
    assert found <= set(families), found
    for language in LANGUAGES:
        for prefix, values in families.items():
            for value in values:
                assert prefix + value in catalogue(language), (language, prefix + value)
        for key in catalogue(language):
            if (
                key.startswith("error.")
                and not key.endswith("_help")
                and key
                not in {
                    "error.title",
                    "error.back",
                }
            ):
                assert f"{key}_help" in catalogue(language), key


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        (None, None, "fr"),
        ("nl-BE,nl;q=0.9,en;q=0.8", None, "nl"),
        ("de-DE,de;q=0.9,en;q=0.5", None, "en"),
        ("en;q=0.4,fr;q=0.8", None, "fr"),
        ("nl-BE", "en", "en"),
        ("nl-BE", "xx", "nl"),
        ("*", None, "fr"),
    ],
)
def test_the_language_is_negotiated(header: str | None, cookie: str | None, expected: str) -> None:
    assert negotiate(header, cookie) == expected


def test_no_template_holds_bare_text() -> None:
    """Text between tags is a key's translation or a value, never a literal sentence."""
    for template in (_CONSOLE / "templates").glob("*.html"):
        html = template.read_text(encoding="utf-8")
        html = re.sub(r"{%.*?%}|{{.*?}}|<[^>]*>", " ", html, flags=re.DOTALL)
        words = re.findall(r"[A-Za-zÀ-ÿ]{3,}", html)
        assert not words, (Path(template).name, words[:10])

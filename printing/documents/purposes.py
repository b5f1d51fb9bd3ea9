"""The common purposes a resident may give for a certificate, as printed in each certificate language.

A kiosk offers this short list, and "other" for a purpose the resident types (`free_purpose`);
the purpose is printed as "Délivré pour servir à : …" (`texts.COMMON[…]["purpose"]`). "Not stated"
prints nothing.

A typed purpose is at most `FREE_PURPOSE_MAX` characters of Latin letters (accents included, in the
certificates' embedded fonts), digits, spaces and basic punctuation (`FREE_PURPOSE_PUNCTUATION`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from printing.errors import DocumentError

NOT_STATED = "not_stated"
OTHER = "other"
"""The resident types the purpose (`free_purpose`)."""

PURPOSE_CODES: tuple[str, ...] = (
    "administration",
    "employer",
    "school",
    "court",
    OTHER,
    NOT_STATED,
)
"""Every purpose a kiosk may offer, in the order of its screen; the last one prints nothing."""

FREE_PURPOSE_MAX = 80
"""The most characters a typed purpose may have (one line or two on the certificate)."""
FREE_PURPOSE_PUNCTUATION = " '-.,/()"
LATIN_EXTENDED_A_END = 0x17F
"""The last letter a typed purpose may hold (Latin-1 and Latin Extended-A: every EU name)."""
"""The characters besides letters and digits a typed purpose may hold."""

PRINTED: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "fr": MappingProxyType(
            {
                "administration": "une administration publique",
                "employer": "un employeur",
                "school": "un établissement d'enseignement",
                "court": "une juridiction",
            }
        ),
        "nl": MappingProxyType(
            {
                "administration": "een overheidsdienst",
                "employer": "een werkgever",
                "school": "een onderwijsinstelling",
                "court": "een rechtbank",
            }
        ),
        "de": MappingProxyType(
            {
                "administration": "eine Behörde",
                "employer": "ein Arbeitgeber",
                "school": "eine Bildungseinrichtung",
                "court": "ein Gericht",
            }
        ),
    }
)


class UnknownPurpose(DocumentError):
    """A purpose code outside `PURPOSE_CODES`, or a certificate language without its wording."""


def printed_purpose(code: str, language: str) -> str:
    """The words printed after "Délivré pour servir à :" in `language`; "" when not stated.

    A typed purpose ("other") is printed as typed: `free_purpose`."""
    if code not in PURPOSE_CODES or code == OTHER:
        msg = f"unknown purpose {code!r}"
        raise UnknownPurpose(msg)
    if code == NOT_STATED:
        return ""
    wording = PRINTED.get(language)
    if wording is None:
        msg = f"no purpose wording in {language!r}"
        raise UnknownPurpose(msg)
    return wording[code]


class FreePurposeProblem(StrEnum):
    """Why a typed purpose is refused (the end of its translation key, `purpose_text.<value>`)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_ALLOWED = "not_allowed"


class InvalidFreePurpose(DocumentError):
    """A typed purpose the kiosk does not print; `problem` says why (never the text itself)."""

    def __init__(self, problem: FreePurposeProblem) -> None:
        super().__init__(f"free purpose refused: {problem.value}")
        self.problem = problem


def free_purpose_char(char: str) -> bool:
    """Whether a typed purpose may hold `char`: a Latin letter (up to Latin Extended-A, which
    the embedded fonts draw), a digit 0-9, or the punctuation."""
    if len(char) != 1:
        return False
    if char in FREE_PURPOSE_PUNCTUATION or char in "0123456789":
        return True
    return char.isalpha() and ord(char) <= LATIN_EXTENDED_A_END


def free_purpose(text: str) -> str:
    """The typed purpose as printed: spaces trimmed and single; raises `InvalidFreePurpose`."""
    cleaned = " ".join(part for part in unicodedata.normalize("NFC", text).split(" ") if part)
    if not cleaned.strip(FREE_PURPOSE_PUNCTUATION):
        raise InvalidFreePurpose(FreePurposeProblem.EMPTY)
    if not all(free_purpose_char(c) for c in cleaned):
        raise InvalidFreePurpose(FreePurposeProblem.NOT_ALLOWED)
    if len(cleaned) > FREE_PURPOSE_MAX:
        raise InvalidFreePurpose(FreePurposeProblem.TOO_LONG)
    return cleaned

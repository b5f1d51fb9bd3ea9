"""The common purposes a resident may give for a certificate, as printed in each certificate language.

A kiosk offers this short list instead of free typing; the chosen purpose is printed as
"Délivré pour servir à : …" (`texts.COMMON[…]["purpose"]`). "Not stated" prints nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from printing.errors import DocumentError

NOT_STATED = "not_stated"

PURPOSE_CODES: tuple[str, ...] = ("administration", "employer", "school", "court", NOT_STATED)
"""Every purpose a kiosk may offer, in the order of its screen; the last one prints nothing."""

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
    """The words printed after "Délivré pour servir à :" in `language`; "" when not stated."""
    if code not in PURPOSE_CODES:
        msg = f"unknown purpose {code!r}"
        raise UnknownPurpose(msg)
    if code == NOT_STATED:
        return ""
    wording = PRINTED.get(language)
    if wording is None:
        msg = f"no purpose wording in {language!r}"
        raise UnknownPurpose(msg)
    return wording[code]

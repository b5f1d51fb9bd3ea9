"""The certificate catalogue: one module per document type, found by scanning this package.

A module that defines `DOCUMENT` (a `DocumentType`) is a document type: its id, translation keys,
eligibility rules and register needs are declared there and nowhere else. The kiosk's accepted
prices, the documents screen's descriptions and the offer list derive from this catalogue.
Another package of document modules (a commune's own certificate) joins with `load_package`.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import MappingProxyType

from printing.documents.base import DocumentType
from printing.documents.eligibility import Eligibility, Offer, RegisterFacts, Unavailable, offer
from printing.errors import DocumentError

_REGISTRY: dict[str, DocumentType] = {}

CATALOGUE: MappingProxyType[str, DocumentType] = MappingProxyType(_REGISTRY)
"""Every registered document type by id (a live, read-only view of the registry)."""


def register(kind: DocumentType) -> None:
    """Add a document type; an id registered twice is a programming error."""
    if kind.key in _REGISTRY and _REGISTRY[kind.key] is not kind:
        raise DocumentError(f"document type {kind.key!r} registered twice")
    _REGISTRY[kind.key] = kind


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def load_package(package: str) -> tuple[str, ...]:
    """Register the `DOCUMENT` of every module of `package`; the ids found, in module order."""
    root = importlib.import_module(package)
    found: list[str] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{info.name}")
        kind = getattr(module, "DOCUMENT", None)
        if isinstance(kind, DocumentType):
            register(kind)
            found.append(kind.key)
    return tuple(found)


def document_type(key: str) -> DocumentType:
    try:
        return CATALOGUE[key]
    except KeyError as err:
        raise DocumentError(
            f"unknown document type {key!r}",
            translation_key="documents.error.unknown_type",
            params={"document_type": key},
        ) from err


load_package(__name__)

__all__ = [
    "CATALOGUE",
    "DocumentType",
    "Eligibility",
    "Offer",
    "RegisterFacts",
    "Unavailable",
    "document_type",
    "load_package",
    "offer",
    "register",
    "unregister",
]

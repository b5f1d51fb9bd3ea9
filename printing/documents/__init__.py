"""The certificate catalogue: one module per document type, registered here and nowhere else."""

from __future__ import annotations

from types import MappingProxyType

from printing.documents import (
    household,
    life,
    nationality,
    registration,
    residence,
    residence_history,
)
from printing.documents.base import DocumentType
from printing.errors import DocumentError

_MODULES = (household, residence, residence_history, nationality, life, registration)
"""The one place a document type is registered: add its module here, nothing else."""

CATALOGUE: MappingProxyType[str, DocumentType] = MappingProxyType(
    {module.DOCUMENT.key: module.DOCUMENT for module in _MODULES}
)


def document_type(key: str) -> DocumentType:
    try:
        return CATALOGUE[key]
    except KeyError as err:
        raise DocumentError(
            f"unknown document type {key!r}",
            translation_key="documents.error.unknown_type",
            params={"document_type": key},
        ) from err


__all__ = ["CATALOGUE", "DocumentType", "document_type"]

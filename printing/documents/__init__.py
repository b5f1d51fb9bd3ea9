"""The certificate catalogue: one module per document type, registered here and nowhere else."""

from __future__ import annotations

from types import MappingProxyType

from printing.documents import household
from printing.documents.base import DocumentType
from printing.errors import DocumentError

_MODULES = (household,)

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

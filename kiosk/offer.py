"""What this resident can get: the catalogue's offer for the holder and the register's entry.

A document the resident may not ask for (an EU citizen and the Belgian nationality certificate,
no address history and the history) stays on the screen greyed, with its reason (a translation
key): it can be neither chosen nor paid. Before the register is read nothing is greyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Protocol

from kiosk.ports import CardHolder, Catalogue, RegisterExtract


class Offered(Protocol):
    @property
    def document_type(self) -> str: ...

    @property
    def available(self) -> bool: ...


def unavailable_reasons(
    catalogue: Catalogue, *, holder: CardHolder | None, extract: RegisterExtract | None
) -> Mapping[str, str]:
    """{document type: reason key} of the documents offered greyed to this resident."""
    if holder is None or extract is None:
        return MappingProxyType({})
    offer = catalogue.offer(holder, extract)
    return MappingProxyType({u.document_type: u.reason_key for u in offer.unavailable})


def may_choose(offered: Iterable[Offered], document_type: str) -> bool:
    """Whether `document_type` is on offer and not greyed."""
    return any(o.document_type == document_type and o.available for o in offered)

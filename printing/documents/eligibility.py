"""Who may ask for a document type, and the offer a resident sees (available, or greyed with reason).

Rules read `RegisterFacts`, a name-free summary of what the register says about the resident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterFacts:
    """What eligibility rules may read of the register about the resident (no names)."""

    nationality: str
    household_size: int
    history_periods: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Eligibility:
    """Who may ask for a document: `allows(facts)`, else the reason (a translation key) shown."""

    reason_key: str
    allows: Callable[[RegisterFacts], bool]


def belgian_only() -> Eligibility:
    return Eligibility(
        reason_key="documents.unavailable.not_belgian",
        allows=lambda facts: facts.nationality.upper() == "BE",
    )


def needs_history() -> Eligibility:
    return Eligibility(
        reason_key="documents.unavailable.no_history",
        allows=lambda facts: facts.history_periods > 0,
    )


class Eligible(Protocol):
    """What `offer` needs of a document type."""

    @property
    def key(self) -> str: ...

    @property
    def eligibility(self) -> tuple[Eligibility, ...]: ...


def refusal(kind: Eligible, facts: RegisterFacts) -> str | None:
    """The reason key of the first rule of `kind` that `facts` break, or None when allowed."""
    return next((rule.reason_key for rule in kind.eligibility if not rule.allows(facts)), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unavailable:
    document_type: str
    reason_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    available: tuple[str, ...]
    unavailable: tuple[Unavailable, ...]


def offer(kinds: Iterable[Eligible], facts: RegisterFacts) -> Offer:
    """Split `kinds` into those the resident may ask for and those offered greyed, with reason."""
    available: list[str] = []
    unavailable: list[Unavailable] = []
    for kind in kinds:
        reason = refusal(kind, facts)
        if reason is None:
            available.append(kind.key)
        else:
            unavailable.append(Unavailable(document_type=kind.key, reason_key=reason))
    return Offer(available=tuple(available), unavailable=tuple(unavailable))

"""The journey's settings: commune, catalogue, languages, time-outs and PIN lengths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.ports import Catalogue
from kiosk.session import SessionState
from kiosk.steps import DEFAULT_TIMEOUTS_S

__all__ = ["DEFAULT_TIMEOUTS_S", "JourneySettings"]

S = SessionState


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneySettings:
    commune_name: str
    catalogue: Catalogue
    kiosk_id: str
    languages: tuple[str, ...] = ("fr", "nl", "de", "en")
    timeouts_s: Mapping[SessionState, float] = field(default_factory=lambda: DEFAULT_TIMEOUTS_S)
    timeout_warning_s: float = 20.0
    pin_min_length: int = 4
    pin_max_length: int = 12
    storage_poll_s: float = 30.0
    """How often the idle kiosk checks its free disk space (seconds)."""
    purposes: tuple[str, ...] = ()
    """The purposes offered after the document choice (`kiosk.flows.purpose`); (): no such step."""

    @property
    def default_language(self) -> str:
        return self.languages[0]

"""The kiosk's device health, as last seen by the adapters, for the heartbeat (no personal data).

Adapters write what they observe (the card reader came and went, the terminal answered or not, the
printer's state, the seal token's check) from their own threads; the sync thread reads a snapshot
for each heartbeat. Values are short machine words (`wire.Token`), never personal data.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the wire models (pydantic) load with the first heartbeat, not at start-up
    from offline_queue.wire import DeviceHealth

UNKNOWN = "unknown"
IN_SERVICE = "in_service"
OUT_OF_SERVICE = "out_of_service"

CARD_READER = "card_reader"
PAYMENT_TERMINAL = "payment_terminal"
PRINTER = "printer"
RECEIPT_PRINTER = "receipt_printer"
PAPER = "paper"
PAPER_REMAINING = "paper_remaining"
SEAL_TOKEN = "seal_token"  # noqa: S105 - a device name, not a secret
CARD = "card"

DEVICES: tuple[str, ...] = (CARD_READER, PAYMENT_TERMINAL, PRINTER, PAPER, SEAL_TOKEN)


class HealthBoard:
    """Thread-safe last-known state of each device, and whether the kiosk is in service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, str] = dict.fromkeys(DEVICES, UNKNOWN)
        self._mode = IN_SERVICE
        self._details: dict[str, dict[str, datetime]] = {}

    def set(self, device: str, state: str) -> None:
        with self._lock:
            self._devices[device] = state

    def set_detail(self, device: str, **dates: datetime) -> None:
        """Dated facts about a device: `certificate_not_after`, `last_end_of_day`."""
        with self._lock:
            self._details.setdefault(device, {}).update(dates)

    def details(self) -> Mapping[str, Mapping[str, datetime]]:
        with self._lock:
            return {device: dict(dates) for device, dates in self._details.items()}

    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._mode = mode

    @property
    def mode(self) -> str:
        with self._lock:
            return self._mode

    def snapshot(self) -> Mapping[str, str]:
        with self._lock:
            return dict(self._devices)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperFigures:
    level_pct: int
    pages_left: int
    pages_printed_total: int


def _token(state: str) -> str:
    word = state.strip().lower().replace(" ", "_")
    return word if word and word[0].isalnum() and len(word) <= 64 else UNKNOWN


def device_health(
    states: Mapping[str, str],
    details: Mapping[str, Mapping[str, datetime]],
    *,
    paper: PaperFigures | None,
) -> dict[str, DeviceHealth]:
    """The heartbeat's `health`: each device's state with the figures the console forecasts from.

    Pure: the reader (and the card state in `detail`), the printer with its paper level, pages
    left and page counter, the terminal with its last end of day, the seal token with its
    certificate's expiry.
    """
    from offline_queue.wire import DeviceHealth  # noqa: PLC0415 - see the imports

    printer_state = _token(states.get(PRINTER, UNKNOWN))
    paper_state = states.get(PAPER)
    if paper is not None and paper.pages_left == 0:
        paper_state = "empty"
    result = {
        CARD_READER: DeviceHealth(
            state=_token(states.get(CARD_READER, UNKNOWN)),
            detail=_token(states[CARD]) if CARD in states else None,
        ),
        PRINTER: DeviceHealth(
            state=printer_state,
            detail=_token(paper_state) if paper_state else None,
            paper_level_pct=paper.level_pct if paper is not None else None,
            pages_left=paper.pages_left if paper is not None else None,
            pages_printed_total=paper.pages_printed_total if paper is not None else None,
        ),
        PAYMENT_TERMINAL: DeviceHealth(
            state=_token(states.get(PAYMENT_TERMINAL, UNKNOWN)),
            last_end_of_day=details.get(PAYMENT_TERMINAL, {}).get("last_end_of_day"),
        ),
        SEAL_TOKEN: DeviceHealth(
            state=_token(states.get(SEAL_TOKEN, UNKNOWN)),
            certificate_not_after=details.get(SEAL_TOKEN, {}).get("certificate_not_after"),
        ),
    }
    if RECEIPT_PRINTER in states:
        result[RECEIPT_PRINTER] = DeviceHealth(state=_token(states[RECEIPT_PRINTER]))
    return result

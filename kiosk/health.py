"""The kiosk's device health, as last seen by the adapters, for the heartbeat (no personal data).

Adapters write what they observe (the card reader came and went, the terminal answered or not, the
printer's state, the seal token's check) from their own threads; the sync thread reads a snapshot
for each heartbeat. Values are short machine words (`wire.Token`), never personal data.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

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

DEVICES: tuple[str, ...] = (CARD_READER, PAYMENT_TERMINAL, PRINTER, PAPER, SEAL_TOKEN)


class HealthBoard:
    """Thread-safe last-known state of each device, and whether the kiosk is in service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, str] = dict.fromkeys(DEVICES, UNKNOWN)
        self._mode = IN_SERVICE

    def set(self, device: str, state: str) -> None:
        with self._lock:
            self._devices[device] = state

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

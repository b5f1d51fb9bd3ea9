"""The PIN as the resident types it: digits only, bounded, wiped in place.

The buffer is a `bytearray` overwritten with zeros before it is cleared; `take` hands a copy to
the card adapter (which wipes it) and wipes the buffer. Neither the PIN nor its length is logged.
"""

from __future__ import annotations

_DIGITS = "0123456789"


class PinEntry:
    """The digits typed so far; `len()` is what the screen shows as dots."""

    def __init__(self) -> None:
        self._digits = bytearray()

    def __len__(self) -> int:
        return len(self._digits)

    def add(self, digit: str, *, max_length: int) -> bool:
        """Type `digit`; False for anything but one digit (ignored). Beyond `max_length`, dropped."""
        if len(digit) != 1 or digit not in _DIGITS:
            return False
        if len(self._digits) < max_length:
            self._digits.append(ord(digit))
        return True

    def erase(self) -> None:
        """Remove the last digit (overwritten first)."""
        if self._digits:
            self._digits[-1] = 0
            del self._digits[-1]

    def take(self, *, min_length: int) -> bytearray | None:
        """The PIN for the card (the buffer is wiped), or None while shorter than `min_length`."""
        if len(self._digits) < min_length:
            return None
        pin = bytearray(self._digits)
        self.wipe()
        return pin

    def wipe(self) -> None:
        for i in range(len(self._digits)):
            self._digits[i] = 0
        self._digits.clear()

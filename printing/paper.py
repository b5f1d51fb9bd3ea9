"""Printed-page counter and paper-level estimate, kept in a small JSON state file.

Most printers say nothing about how much paper is left until the tray is empty. The kiosk counts
the pages it printed since staff last refilled the tray and compares that with the tray capacity:
`remaining = capacity - pages_since_refill`. Staff confirm a refill on the maintenance screen
(`refill()`). The file is replaced atomically, so a power cut never leaves it half written.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperEstimate:
    pages_printed_total: int
    pages_since_refill: int
    tray_capacity: int
    low_threshold: int

    @property
    def remaining(self) -> int:
        return max(0, self.tray_capacity - self.pages_since_refill)

    @property
    def level(self) -> float:
        """0.0 (empty) … 1.0 (just refilled)."""
        return self.remaining / self.tray_capacity if self.tray_capacity else 0.0

    @property
    def low(self) -> bool:
        return self.remaining <= self.low_threshold


class PaperTracker:
    def __init__(self, path: Path, *, tray_capacity: int = 250, low_threshold: int = 25) -> None:
        if tray_capacity <= 0:
            raise ValueError("tray_capacity must be positive")
        self.path = path
        self.tray_capacity = tray_capacity
        self.low_threshold = low_threshold
        self._lock = threading.Lock()

    def _read(self) -> tuple[int, int]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return int(raw["pages_printed_total"]), int(raw["pages_since_refill"])
        except FileNotFoundError:
            return 0, 0
        except (OSError, ValueError, KeyError, TypeError):
            _log.warning(
                "paper state unreadable, starting from zero", extra={"path": str(self.path)}
            )
            return 0, 0

    def _write(self, total: int, since: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump({"pages_printed_total": total, "pages_since_refill": since}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)

    def estimate(self) -> PaperEstimate:
        with self._lock:
            total, since = self._read()
        return PaperEstimate(
            pages_printed_total=total,
            pages_since_refill=since,
            tray_capacity=self.tray_capacity,
            low_threshold=self.low_threshold,
        )

    def record(self, pages: int) -> PaperEstimate:
        """Count `pages` printed sheets (one-sided A4)."""
        with self._lock:
            total, since = self._read()
            self._write(total + pages, since + pages)
        estimate = self.estimate()
        if estimate.low:
            _log.warning(
                "paper low", extra={"remaining": estimate.remaining, "capacity": self.tray_capacity}
            )
        return estimate

    def refill(self) -> PaperEstimate:
        """Staff refilled the tray: the estimate starts again from a full tray."""
        with self._lock:
            total, _ = self._read()
            self._write(total, 0)
        _log.info("paper refilled", extra={"capacity": self.tray_capacity})
        return self.estimate()

"""The simulated terminal's own persistent journal (a JSON file, replaced atomically)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalRecord:
    kind: str  # "payment" | "refund" | "reversal"
    receipt: int
    trace: int
    amount_cents: int
    result: int
    ecr_trace: int | None = None  # kept for journals written by older versions; never echoed
    auth_code: str = ""
    masked_pan: str = ""
    brand: str = ""
    reversed: bool = False
    lines: tuple[str, ...] = ()


class TerminalJournal:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._records: list[TerminalRecord] = []
        self._counter = 0
        self._closed_upto = 0
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self._counter = int(data["counter"])
            self._closed_upto = int(data.get("closed_upto", 0))
            self._records = [
                TerminalRecord(**{**r, "lines": tuple(r["lines"])}) for r in data["records"]
            ]

    def _save(self) -> None:
        if self._path is None:
            return
        data = {
            "counter": self._counter,
            "closed_upto": self._closed_upto,
            "records": [asdict(r) for r in self._records],
        }
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self._path)

    def next_numbers(self) -> tuple[int, int]:
        """A fresh (receipt number, trace number) pair."""
        with self._lock:
            self._counter += 1
            self._save()
            return (self._counter % 10_000, self._counter % 1_000_000)

    def add(self, record: TerminalRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._save()

    def last(self, *, kind: str | None = None) -> TerminalRecord | None:
        with self._lock:
            for record in reversed(self._records):
                if kind is None or record.kind == kind:
                    return record
            return None

    def by_receipt(self, receipt: int) -> TerminalRecord | None:
        with self._lock:
            for record in reversed(self._records):
                if record.receipt == receipt and record.kind == "payment":
                    return record
            return None

    def closed(self, receipt: int) -> bool:
        """True if this payment was settled by an end-of-day: it can no longer be reversed."""
        with self._lock:
            for index, record in enumerate(self._records):
                if record.receipt == receipt and record.kind == "payment":
                    return index < self._closed_upto
            return False

    def mark_reversed(self, receipt: int) -> None:
        with self._lock:
            self._records = [
                replace(r, reversed=True) if r.receipt == receipt and r.kind == "payment" else r
                for r in self._records
            ]
            self._save()

    def records(self) -> tuple[TerminalRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def close_day(self) -> tuple[TerminalRecord, ...]:
        """Approved, unreversed payments since the last closure (what the closure settles)."""
        with self._lock:
            pending = self._records[self._closed_upto :]
            settled = tuple(
                r for r in pending if r.kind == "payment" and r.result == 0 and not r.reversed
            )
            self._closed_upto = len(self._records)
            self._save()
            return settled

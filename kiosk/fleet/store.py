"""What fleet management keeps across restarts, in private files under `var/data/fleet/`.

- `config.json`: the last good configuration document from the central. It holds the staff
  allow-list's national numbers, so the file is created 0600 (owner only) and never logged; it is
  not encrypted: the kiosk's disk is the protection boundary, as for the payment journal.
- `commands.json`: every command seen, by id: started, then its result and whether the central
  acknowledged it. A command found started without a result was interrupted: it is not run again.
- `counters.json`: today's counters (sessions, documents, revenue), so a restart keeps the day.

Files are replaced atomically (written beside, fsynced, renamed). One `FleetStore` is shared by
threads: every method takes its lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from offline_queue.wire import CommandResult, DayCounters, KioskConfigDocument

log = logging.getLogger(__name__)

PRIVATE_MODE: Final = 0o600
MAX_COMMANDS_KEPT: Final = 500


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


class FleetStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    @property
    def config_path(self) -> Path:
        return self.directory / "config.json"

    # -- configuration ----------------------------------------------------------------------
    def load_config(self) -> KioskConfigDocument | None:
        with self._lock:
            try:
                raw = self.config_path.read_bytes()
            except FileNotFoundError:
                return None
        try:
            return KioskConfigDocument.model_validate_json(raw)
        except ValidationError:
            log.error("fleet_config_unreadable", extra={"file": str(self.config_path)})
            return None

    def save_config(self, document: KioskConfigDocument) -> None:
        with self._lock:
            write_private(self.config_path, document.model_dump_json().encode())

    # -- commands ---------------------------------------------------------------------------
    def _commands(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads((self.directory / "commands.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.error("fleet_commands_unreadable", extra={"dir": str(self.directory)})
            return {}
        return data if isinstance(data, dict) else {}

    def _save_commands(self, commands: dict[str, dict[str, Any]]) -> None:
        if len(commands) > MAX_COMMANDS_KEPT:
            done = [k for k, v in commands.items() if v.get("reported")]
            for key in done[: len(commands) - MAX_COMMANDS_KEPT]:
                del commands[key]
        write_private(self.directory / "commands.json", json.dumps(commands).encode())

    def begin(self, command_id: str) -> bool:
        """Mark `command_id` started; False when it was seen before (never run it twice)."""
        with self._lock:
            commands = self._commands()
            if command_id in commands:
                return False
            commands[command_id] = {"result": None, "reported": False}
            self._save_commands(commands)
            return True

    def result_of(self, command_id: str) -> CommandResult | None:
        with self._lock:
            entry = self._commands().get(command_id)
        if entry is None or entry.get("result") is None:
            return None
        return CommandResult.model_validate(entry["result"])

    def started(self, command_id: str) -> bool:
        with self._lock:
            return command_id in self._commands()

    def finish(self, result: CommandResult) -> None:
        with self._lock:
            commands = self._commands()
            commands[result.command_id] = {
                "result": result.model_dump(mode="json"),
                "reported": False,
            }
            self._save_commands(commands)

    def unreported(self) -> list[CommandResult]:
        with self._lock:
            entries = list(self._commands().values())
        return [
            CommandResult.model_validate(e["result"])
            for e in entries
            if e.get("result") is not None and not e.get("reported")
        ]

    def mark_reported(self, command_id: str) -> None:
        with self._lock:
            commands = self._commands()
            if command_id in commands:
                commands[command_id]["reported"] = True
                self._save_commands(commands)

    # -- today's counters -------------------------------------------------------------------
    def counters(self, today: date) -> DayCounters:
        with self._lock:
            return self._counters(today)

    def _counters(self, today: date) -> DayCounters:
        try:
            raw = (self.directory / "counters.json").read_bytes()
            counters = DayCounters.model_validate_json(raw)
        except FileNotFoundError:
            return DayCounters(day=today)
        except (OSError, ValidationError):
            log.error("fleet_counters_unreadable", extra={"dir": str(self.directory)})
            return DayCounters(day=today)
        return counters if counters.day == today else DayCounters(day=today)

    def count_session(
        self, today: date, *, documents: int, revenue_cents: int, paid: bool, reversed_: bool
    ) -> DayCounters:
        with self._lock:
            c = self._counters(today)
            updated = c.model_copy(
                update={
                    "sessions": c.sessions + 1,
                    "documents": c.documents + documents,
                    "revenue_cents": c.revenue_cents + revenue_cents,
                    "payments_approved": c.payments_approved + int(paid),
                    "payments_reversed": c.payments_reversed + int(reversed_),
                }
            )
            write_private(self.directory / "counters.json", updated.model_dump_json().encode())
            return updated

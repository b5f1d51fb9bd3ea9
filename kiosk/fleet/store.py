"""What fleet management keeps across restarts, in private files under `var/data/fleet/`.

- `config.json`: the last good configuration document from the central. It holds the staff
  allow-list's national numbers, so it is sealed (AES-256-GCM under `config.key`, this kiosk's own
  random key, both 0600) and never logged. A file written before it was sealed is read once and
  sealed again; one that does not open (tampered, or its key lost) reads as none, logged, and the
  kiosk pulls the central's again.
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
import secrets
import threading
from datetime import date
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from offline_queue.wire import CommandResult, DayCounters, KioskConfigDocument

log = logging.getLogger(__name__)

PRIVATE_MODE: Final = 0o600
MAX_COMMANDS_KEPT: Final = 500
SEALED_MAGIC: Final = b"BORNE-SEALED-1\n"
"""The first bytes of a sealed file; then the 12-byte nonce and the AES-GCM ciphertext."""
_NONCE_BYTES: Final = 12
_KEY_BYTES: Final = 32
_CONFIG_AAD: Final = b"borne fleet config.json"


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

    @property
    def key_path(self) -> Path:
        return self.directory / "config.key"

    # -- configuration ----------------------------------------------------------------------
    def load_config(self) -> KioskConfigDocument | None:
        with self._lock:
            try:
                raw = self.config_path.read_bytes()
            except FileNotFoundError:
                return None
            legacy = not raw.startswith(SEALED_MAGIC)
            plain = raw if legacy else self._open(raw)
            if plain is None:
                return None
            try:
                document = KioskConfigDocument.model_validate_json(plain)
            except ValidationError:
                log.error("fleet_config_unreadable", extra={"file": str(self.config_path)})
                return None
            if legacy:  # written before configurations were sealed: sealed now
                self._seal_config(document)
                log.info("fleet_config_sealed", extra={"file": str(self.config_path)})
            return document

    def save_config(self, document: KioskConfigDocument) -> None:
        with self._lock:
            self._seal_config(document)

    def _seal_config(self, document: KioskConfigDocument) -> None:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._key()).encrypt(
            nonce, document.model_dump_json().encode(), _CONFIG_AAD
        )
        write_private(self.config_path, SEALED_MAGIC + nonce + sealed)

    def _open(self, raw: bytes) -> bytes | None:
        body = raw[len(SEALED_MAGIC) :]
        key = self._existing_key()
        try:
            if key is None:
                raise InvalidTag  # its key is lost: it cannot open
            return AESGCM(key).decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:], _CONFIG_AAD)
        except (InvalidTag, ValueError):
            log.error(
                "fleet_config_unreadable",
                extra={"file": str(self.config_path), "reason": "does not open with its key"},
            )
            return None

    def _existing_key(self) -> bytes | None:
        try:
            key = self.key_path.read_bytes()
        except FileNotFoundError:
            return None
        return key if len(key) == _KEY_BYTES else None

    def _key(self) -> bytes:
        """This kiosk's sealing key, made (random, 0600) the first time one is needed."""
        key = self._existing_key()
        if key is None:
            key = secrets.token_bytes(_KEY_BYTES)
            write_private(self.key_path, key)
        return key

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

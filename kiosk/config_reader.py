"""Typed access to the kiosk's TOML file: every error names the full key, the value and what was expected.

Relative paths resolve beside the file, and ``var/...`` under the var folder (``BORNE_VAR_DIR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from offline_queue.managed_config import ManagedConfigError, lookup

T = TypeVar("T")


class ConfigError(ManagedConfigError):
    """The configuration is missing, unreadable or invalid (exit code 2).

    The same message, key and translation as the managed settings' error, for any key of the file.
    """


class TomlReader:
    """Typed access to a nested TOML table, naming the full key in every error."""

    def __init__(self, data: Mapping[str, Any], *, base: Path, var_dir: Path) -> None:
        self._data = data
        self.data = data
        self._base = base
        self._var = var_dir

    def lookup(self, key: str) -> tuple[bool, Any]:
        return lookup(self._data, key)

    def get(self, key: str, kind: type[T], *, default: T | None = None) -> T:
        found, value = self.lookup(key)
        if not found:
            if default is None:
                raise ConfigError(key=key, value=None, expected=f"a {kind.__name__} (key missing)")
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(key=key, value=value, expected=f"a {kind.__name__}")
        return value

    def positive(self, key: str, kind: type[int] | type[float], *, default: float) -> float:
        value = self.get(key, kind, default=kind(default))
        if value <= 0:
            raise ConfigError(key=key, value=value, expected=f"a positive {kind.__name__}")
        return value

    def device_address(self, key: str) -> str:
        """A serial device (a path) or a transport URL such as ``tcp://host:port``, kept as written."""
        raw = self.text(key)
        return raw if "://" in raw else str(self.resolve(raw))

    def optional_seconds(self, key: str) -> float | None:
        """A duration of 0 s or more, or None when the key is absent."""
        if not self.lookup(key)[0]:
            return None
        value = self.get(key, float)
        if value < 0:
            raise ConfigError(key=key, value=value, expected="seconds, 0 or more")
        return value

    def text(self, key: str, *, default: str | None = None, allow_empty: bool = False) -> str:
        value = self.get(key, str, default=default)
        if not value.strip() and not allow_empty:
            raise ConfigError(key=key, value=value, expected="a non-empty string")
        return value

    def choice(self, key: str, options: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.text(key, default=default)
        if value not in options:
            raise ConfigError(key=key, value=value, expected=f"one of {', '.join(options)}")
        return value

    def path(self, key: str, *, default: str | None = None) -> Path:
        return self.resolve(self.text(key, default=default))

    def optional_path(self, key: str) -> Path | None:
        found, value = self.lookup(key)
        if not found or value == "":
            return None
        return self.path(key)

    def resolve(self, raw: str) -> Path:
        path = Path(raw).expanduser()
        if path.is_absolute():
            return path
        if path.parts and path.parts[0] == "var":
            return self._var.joinpath(*path.parts[1:])
        return self._base / path

    def path_list(self, key: str) -> tuple[Path, ...]:
        found, value = self.lookup(key)
        if not found:
            return ()
        if not isinstance(value, list) or any(not isinstance(v, str) or not v for v in value):
            raise ConfigError(key=key, value=value, expected="a list of folder paths")
        return tuple(self.resolve(v) for v in value)

    def hex_bytes(self, key: str, *, default: str) -> bytes:
        raw = self.text(key, default=default)
        try:
            return bytes.fromhex(raw)
        except ValueError as err:
            raise ConfigError(key=key, value=raw, expected="hexadecimal bytes, e.g. 01") from err

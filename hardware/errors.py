"""Typed errors shared by every layer.

The base class lives here, at the bottom of the layer stack, so that `hardware`, `printing`,
`offline_queue` and `kiosk` can all derive from it without an import cycle. User-visible errors carry
a translation key and placeholders, never a literal sentence built at the raise site.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class BorneError(Exception):
    """Root of every error the product raises on purpose."""

    translation_key: str = "error.generic"

    def __init__(
        self,
        message: str,
        *,
        translation_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if translation_key is not None:
            self.translation_key = translation_key
        self.params: Mapping[str, str] = MappingProxyType(dict(params or {}))


class DeviceError(BorneError):
    """A device could not do what was asked."""

    translation_key = "error.device"

    def __init__(
        self,
        message: str,
        *,
        device: str,
        recoverable: bool = True,
        translation_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, translation_key=translation_key, params=params)
        self.device = device
        self.recoverable = recoverable


class DeviceUnavailable(DeviceError):
    translation_key = "error.device_unavailable"


class DeviceBusy(DeviceError):
    translation_key = "error.device_busy"


class DeviceTimeout(DeviceError):
    translation_key = "error.device_timeout"


class OperationCancelled(DeviceError):
    """The operation was cancelled on purpose; never shown to the resident as an error."""

    translation_key = "error.cancelled"


class RunnerStopped(DeviceError):
    """Work was submitted to, or pending on, a runner that has been stopped."""

    translation_key = "error.device_unavailable"

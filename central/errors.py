"""Typed errors of the central server package."""

from __future__ import annotations


class CentralError(Exception):
    """Root of the errors the central server package raises on purpose."""


class StoreError(CentralError):
    """The server's database cannot be used."""


class RegisterUnavailable(CentralError):
    """The population register source cannot be read."""


class CentralStartError(CentralError):
    """The central server process did not come up; `log_tail` holds the end of its log."""

    def __init__(self, message: str, *, log_tail: str) -> None:
        super().__init__(f"{message}\n--- central log (tail) ---\n{log_tail}")
        self.log_tail = log_tail

"""Typed errors of the central server package."""

from __future__ import annotations

from offline_queue.wire import ErrorCode


class CentralError(Exception):
    """Root of the errors the central server package raises on purpose."""


class Refusal(CentralError):
    """A call the server refuses on purpose, answered as an `ErrorBody` with `status` (and a
    `Retry-After` header when `retry_after` is set). Each router has its own subclass."""

    def __init__(
        self, *, status: int, code: ErrorCode, message: str = "", retry_after: int | None = None
    ) -> None:
        super().__init__(message or code.value)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class StoreError(CentralError):
    """The server's database cannot be used."""


class RegisterUnavailable(CentralError):
    """The population register source cannot be read."""


class CentralStartError(CentralError):
    """The central server process did not come up; `log_tail` holds the end of its log."""

    def __init__(self, message: str, *, log_tail: str) -> None:
        super().__init__(f"{message}\n--- central log (tail) ---\n{log_tail}")
        self.log_tail = log_tail

"""Typed payment errors.

Rule of thumb: an exception means the terminal did *not* take the money (the request was not
accepted), so the resident may try again. Anything that may have charged the card is returned as an
outcome value (`Unknown`), never raised.
"""

from __future__ import annotations

from hardware.errors import BorneError, DeviceBusy, DeviceError, DeviceUnavailable

DEVICE = "payment"


class PaymentError(DeviceError):
    translation_key = "payment.error"


class TerminalNotReachable(DeviceUnavailable):
    """The terminal could not be reached; the request was certainly not accepted."""

    translation_key = "payment.terminal_unavailable"


class TerminalBusy(DeviceBusy):
    """The terminal refused the request because it is busy; nothing was charged."""

    translation_key = "payment.terminal_busy"


class CommandRefused(PaymentError):
    """The terminal refused the command (84 xx); nothing was done."""

    translation_key = "payment.terminal_error"

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message, device=DEVICE, params={"code": f"{code:02X}"})
        self.code = code


class LinkLost(PaymentError):
    """The link broke after the terminal may have accepted the request."""

    translation_key = "payment.result_unknown"


class Unsupported(PaymentError):
    translation_key = "payment.unsupported"


class PaymentInProgress(BorneError):
    """A second payment was requested while one is in flight."""

    translation_key = "payment.in_progress"


class PaymentsSuspended(BorneError):
    """Unresolved transactions must be recovered before a new payment is accepted."""

    translation_key = "payment.unavailable"


class UnknownPayment(BorneError):
    translation_key = "payment.error"


class DuplicateReference(BorneError):
    translation_key = "payment.error"


class AttemptsExhausted(BorneError):
    """An order was charged unsuccessfully `MAX_ATTEMPTS` times: no further attempt is made."""

    translation_key = "payment.too_many_attempts"


class AttemptNotAllowed(BorneError):
    """The order's last attempt may have charged the card (approved, unknown...): never re-charge."""

    translation_key = "payment.error"


class InvalidTransition(BorneError):
    translation_key = "payment.error"

"""Typed errors of the eID layer; each carries a translation key, never a sentence for the resident."""

from __future__ import annotations

from collections.abc import Mapping

from hardware.errors import DeviceError, DeviceUnavailable

DEVICE = "eid"


class EidError(DeviceError):
    """Anything that went wrong while talking to an identity card."""

    translation_key = "eid.error.generic"

    def __init__(
        self,
        message: str,
        *,
        recoverable: bool = True,
        translation_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            message,
            device=DEVICE,
            recoverable=recoverable,
            translation_key=translation_key,
            params=params,
        )


class ReaderUnavailable(DeviceUnavailable):
    """The card reader cannot be reached: the PC/SC service (pcscd) is gone or the reader is.

    Not the resident's doing, and not a removed card: the kiosk goes out of service until the
    reader is back (`CardMonitor` then reports "reader_restored").
    """

    translation_key = "eid.error.no_reader"

    def __init__(self, message: str) -> None:
        super().__init__(message, device=DEVICE, recoverable=True)


class ReaderNotFound(ReaderUnavailable):
    """PC/SC answers, but lists no reader with the configured name."""


class NoCard(EidError):
    translation_key = "eid.error.no_card"


class CardRemoved(EidError):
    translation_key = "eid.error.card_removed"


class NotAnEidCard(EidError):
    translation_key = "eid.error.not_an_eid"


class CardCommunicationError(EidError):
    translation_key = "eid.error.communication"


class CardDataError(EidError):
    """A file on the card could not be decoded."""

    translation_key = "eid.error.unreadable"


class CardVerificationError(EidError):
    """A security check on the card data failed; `check` names which one."""

    translation_key = "eid.error.verification"

    def __init__(self, message: str, *, check: str, translation_key: str | None = None) -> None:
        super().__init__(
            message,
            recoverable=False,
            translation_key=translation_key,
            params={"check": check},
        )
        self.check = check


class CardExpired(CardVerificationError):
    translation_key = "eid.error.expired"

    def __init__(self, message: str) -> None:
        super().__init__(message, check="validity")


class CardNotYetValid(CardVerificationError):
    translation_key = "eid.error.not_yet_valid"

    def __init__(self, message: str) -> None:
        super().__init__(message, check="validity")


class PinBlocked(EidError):
    translation_key = "eid.error.pin_blocked"

    def __init__(self, message: str) -> None:
        super().__init__(message, recoverable=False)


class WrongPin(EidError):
    translation_key = "eid.error.pin_wrong"

    def __init__(self, message: str, *, tries_left: int | None) -> None:
        super().__init__(
            message, params={"tries_left": "" if tries_left is None else str(tries_left)}
        )
        self.tries_left = tries_left


class PinFormatError(EidError):
    translation_key = "eid.error.pin_format"


class PinEntryTimeout(EidError):
    """The resident did not finish typing the PIN on the reader's pinpad in time (SW 6400)."""

    translation_key = "eid.error.pin_timeout"


class PinEntryCancelled(EidError):
    """The resident pressed Cancel on the reader's pinpad (SW 6401)."""

    translation_key = "eid.error.pin_cancelled"


class PinpadUnavailable(EidError):
    """PIN entry on the reader was asked for, but the reader has no VERIFY_PIN_DIRECT feature."""

    translation_key = "eid.error.no_pinpad"


class PinRequired(EidError):
    """The card wants the PIN (again) before it signs."""

    translation_key = "eid.error.pin_required"


class NoAuthenticationCertificate(EidError):
    """The card has no authentication key/certificate (e.g. a Kids card): no citizen proof."""

    translation_key = "eid.error.no_authentication_certificate"

    def __init__(self, message: str) -> None:
        super().__init__(message, recoverable=False)

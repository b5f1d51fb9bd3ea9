"""The Belgian eID card over PC/SC: reading, verifying, PIN check, insertion events."""

import importlib
from typing import TYPE_CHECKING

from hardware.eid.errors import (
    CardCommunicationError,
    CardDataError,
    CardExpired,
    CardNotYetValid,
    CardRemoved,
    CardVerificationError,
    EidError,
    NoCard,
    NotAnEidCard,
    PinBlocked,
    PinFormatError,
    ReaderNotFound,
    ReaderUnavailable,
    WrongPin,
)
from hardware.eid.model import (
    Address,
    CardData,
    CardRead,
    CheckResult,
    Identity,
    PinCheck,
    PinStatus,
    RawFiles,
    VerificationReport,
)

if TYPE_CHECKING:
    from hardware.eid.monitor import CardMonitor
    from hardware.eid.reader import EidReader, EidSession
    from hardware.eid.verify import TrustStore, raise_for_report, verify_card

_LATER: dict[str, str] = {
    "CardMonitor": "hardware.eid.monitor",
    "EidReader": "hardware.eid.reader",
    "EidSession": "hardware.eid.reader",
    "TrustStore": "hardware.eid.verify",
    "raise_for_report": "hardware.eid.verify",
    "verify_card": "hardware.eid.verify",
}
"""Imported on first use: the model is read at start-up, pyscard and the X.509 checks later."""


def __getattr__(name: str) -> object:
    home = _LATER.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "Address",
    "CardCommunicationError",
    "CardData",
    "CardDataError",
    "CardExpired",
    "CardMonitor",
    "CardNotYetValid",
    "CardRead",
    "CardRemoved",
    "CardVerificationError",
    "CheckResult",
    "EidError",
    "EidReader",
    "EidSession",
    "Identity",
    "NoCard",
    "NotAnEidCard",
    "PinBlocked",
    "PinCheck",
    "PinFormatError",
    "PinStatus",
    "RawFiles",
    "ReaderNotFound",
    "ReaderUnavailable",
    "TrustStore",
    "VerificationReport",
    "WrongPin",
    "raise_for_report",
    "verify_card",
]

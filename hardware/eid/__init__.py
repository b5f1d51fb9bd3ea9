"""The Belgian eID card over PC/SC: reading, verifying, PIN check, insertion events."""

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
from hardware.eid.monitor import CardMonitor
from hardware.eid.reader import EidReader, EidSession
from hardware.eid.verify import TrustStore, raise_for_report, verify_card

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

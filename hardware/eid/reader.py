"""Reading the Belgian eID over PC/SC (pyscard's scard layer, APDUs only, no PKCS#11).

One `EidSession` per citizen: connect T=0|T=1 shared, hold a PC/SC transaction, select the BELPIC
applet, GET CARD DATA; read files with 252-byte READ BINARY chunks; handle 61xx / 6Cxx like the card
wants on T=0; LOG OFF, end the transaction and disconnect with reset at the end.

The bytes go through a `CardTransport` (`hardware.eid.transport`): pyscard over pcscd by default,
the transport given as `transport=`, or the in-process reader the reader name points to (the virtual
card on machines without pcscd). The rules of the card and of PC/SC (status words, recovery,
presence) all live here.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import TracebackType
from typing import TypeVar

from smartcard import scard

from hardware.eid.errors import (
    CardCommunicationError,
    CardDataError,
    CardRemoved,
    CardVerificationError,
    EidError,
    NoAuthenticationCertificate,
    NoCard,
    NotAnEidCard,
    PinBlocked,
    PinEntryCancelled,
    PinEntryTimeout,
    PinFormatError,
    PinpadUnavailable,
    PinRequired,
    ReaderNotFound,
    ReaderUnavailable,
    WrongPin,
)
from hardware.eid.model import (
    Address,
    CardData,
    CardRead,
    CitizenProof,
    Identity,
    PinCheck,
    PinStatus,
    RawFiles,
)
from hardware.eid.transport import CardTransport, transport_for
from hardware.eid.verify import (
    CHALLENGE_LENGTH,
    CHECK_PHOTO_HASH,
    TrustStore,
    der_length,
    photo_hash_matches,
    raise_for_report,
    verify_card,
)

log = logging.getLogger(__name__)

_T = TypeVar("_T")

APPLET_AID = bytes.fromhex("A00000003029057000AD13100101FF")
CHUNK = 0xFC  # 252 bytes per READ BINARY, as eid-mw does
DF_BELPIC = 0xDF00
DF_ID = 0xDF01
EF_IDENTITY = 0x4031
EF_IDENTITY_SIGNATURE = 0x4032
EF_ADDRESS = 0x4033
EF_ADDRESS_SIGNATURE = 0x4034
EF_PHOTO = 0x4035
EF_BASIC_KEY = 0x4040
EF_AUTHENTICATION_CERTIFICATE = 0x5038
EF_CA_CERTIFICATE = 0x503A
EF_RRN_CERTIFICATE = 0x503C
KEY_AUTHENTICATION = 0x82

# The largest content each file may have; a card that sends more is unreadable, not read on.
# Identity: every tag at its "envisioned maximum" length (ID_ADRESSE v5) plus two header bytes per
# tag. Address: the fixed 117-byte file. Signatures: an RSA-4096 signature (EC DER ones are 104).
# Basic key: the 120-byte P-384 SubjectPublicKeyInfo. Certificates (DER length): 4096 bytes.
# Photo: what READ BINARY can address at all (offsets below 0x8000), above a raw 150x195 or
# 140x200 8-bit greyscale picture.
MAX_IDENTITY_FILE = 815
MAX_ADDRESS_FILE = 117
MAX_SIGNATURE_FILE = 512
MAX_BASIC_KEY_FILE = 120
MAX_CERTIFICATE = 4096
MAX_ADDRESSABLE = 0x8000
MAX_FILE_SIZE = {
    (DF_ID, EF_IDENTITY): MAX_IDENTITY_FILE,
    (DF_ID, EF_IDENTITY_SIGNATURE): MAX_SIGNATURE_FILE,
    (DF_ID, EF_ADDRESS): MAX_ADDRESS_FILE,
    (DF_ID, EF_ADDRESS_SIGNATURE): MAX_SIGNATURE_FILE,
    (DF_ID, EF_BASIC_KEY): MAX_BASIC_KEY_FILE,
}

# PC/SC part 10: reader features through SCardControl.
CM_IOCTL_GET_FEATURE_REQUEST = scard.SCARD_CTL_CODE(3400)
FEATURE_VERIFY_PIN_DIRECT = 0x06
PINPAD_TIMEOUT_S = 30
PINPAD_LANGUAGES = {"en": 0x0409, "fr": 0x080C, "nl": 0x0813, "de": 0x0407}
SW_PINPAD_TIMEOUT = 0x6400
SW_PINPAD_CANCELLED = 0x6401

SW_OK = 0x9000
V1_6C_DELAY = 0.05
PRESENCE_DEADLINE = 1.5
CONNECT_DEADLINE = 2.0
RECOVER_DEADLINE = 2.0
MAX_RECOVERIES = 2

_REMOVED_CODES = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}
# The PC/SC service or the reader itself is gone: never "card removed".
_UNAVAILABLE_CODES = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}
_RESET_CODES = {scard.SCARD_W_RESET_CARD, scard.SCARD_E_NOT_TRANSACTED}
_TRANSIENT_CONNECT_CODES = {
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_E_NOT_READY,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_SHARING_VIOLATION,
}


def _message(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code)} ({code & 0xFFFFFFFF:#010x})"


def _establish(transport: CardTransport) -> int:
    code, context = transport.establish()
    if code != scard.SCARD_S_SUCCESS:
        raise ReaderUnavailable(f"no PC/SC service: {_message(code)}")
    return context


def _reader_names(context: int, transport: CardTransport) -> list[str]:
    code, readers = transport.list_readers(context)
    if code != scard.SCARD_S_SUCCESS:
        return []
    return readers


def _present(context: int, reader: str, transport: CardTransport) -> bool:
    """Is a card in `reader`? Raises `ReaderUnavailable` when PC/SC or the reader is gone."""
    code, state = transport.status_change(context, reader, scard.SCARD_STATE_UNAWARE, 0)
    if code in _UNAVAILABLE_CODES:
        raise ReaderUnavailable(f"card reader unavailable: {_message(code)}")
    if code != scard.SCARD_S_SUCCESS:
        return False
    return bool(state & scard.SCARD_STATE_PRESENT)


def pin_block(pin: bytearray) -> bytearray:
    """ISO 9564 format 2 block for VERIFY: `2N`, BCD digits, F padding (8 bytes)."""
    count = len(pin)
    if not 4 <= count <= 12 or any(not 0x30 <= digit <= 0x39 for digit in pin):
        raise PinFormatError("PIN must be 4 to 12 digits")
    nibbles = bytearray(b"\x0f" * 14)
    for index, digit in enumerate(pin):
        nibbles[index] = digit - 0x30
    block = bytearray(8)
    block[0] = 0x20 | count
    for index in range(7):
        block[index + 1] = (nibbles[2 * index] << 4) | nibbles[2 * index + 1]
    nibbles[:] = bytes(len(nibbles))
    return block


def _wipe(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))


def pin_verify_structure(*, language: str = "fr") -> bytes:
    """PIN_VERIFY_STRUCTURE for FEATURE_VERIFY_PIN_DIRECT, as eid-mw builds it for the eID.

    30 s timeouts; BCD PIN at byte offset 1, length nibble at bit 4 of the `2N` byte; 4..12 digits;
    OK key validates; the APDU template is VERIFY with an empty `2F FF..` block.
    """
    apdu = bytes.fromhex("002000010820FFFFFFFFFFFFFF")
    lang = PINPAD_LANGUAGES.get(language, PINPAD_LANGUAGES["en"])
    return (
        bytes([PINPAD_TIMEOUT_S, PINPAD_TIMEOUT_S, 0x89, 0x47, 0x04, 0x0C, 0x04, 0x02, 0x01])
        + lang.to_bytes(2, "big")
        + bytes([0x00, 0x00, 0x00, 0x00])
        + len(apdu).to_bytes(4, "little")
        + apdu
    )


def minimum_file_apdus(content: bytes, *, der: bool = False) -> int:
    """APDUs a reader that does not know the file size needs for one file (SELECT included).

    Full 252-byte chunks; the last part costs 6Cxx + resend, or a 6B00 probe plus the spurious-EOF
    re-select and retry when the size is a multiple of the chunk. A DER file stops at the DER
    length, learnt from the first chunk, and asks exactly for the rest.
    """
    if der and content and not content[0] and len(content) >= CHUNK:
        return 2  # no certificate: one chunk of zeros
    if der and content and content[0]:
        total = der_length(content[:6])
        if total <= CHUNK:
            return 1 + (1 if len(content) >= CHUNK else 2)
        return 1 + -(-total // CHUNK)
    full, rest = divmod(len(content), CHUNK)
    return 1 + full + (2 if rest else 3)


def _der_limit(head: bytes) -> int:
    """Where a certificate file's DER element ends (an all-zero start: no certificate)."""
    if not head[0]:
        return len(head)
    try:
        return der_length(head[:6])
    except ValueError as err:
        raise CardDataError("certificate file does not start with a DER element") from err


def parse_features(data: bytes) -> dict[int, int]:
    """GET_FEATURE_REQUEST answer: 6-byte TLVs `tag 04 <ioctl, 4 bytes big-endian>`."""
    features: dict[int, int] = {}
    for pos in range(0, len(data) - len(data) % 6, 6):
        tag, length = data[pos], data[pos + 1]
        if length == 4:
            features[tag] = int.from_bytes(data[pos + 2 : pos + 6], "big")
    return features


class EidReader:
    """Finds the reader (by name prefix) and opens sessions on the card in it."""

    def __init__(
        self,
        *,
        reader_prefix: str = "",
        trust: TrustStore,
        transport: CardTransport | None = None,
    ) -> None:
        self.reader_prefix = reader_prefix
        self.trust = trust
        self.transport: CardTransport = transport or transport_for(reader_prefix)

    def find_reader(self) -> str:
        context = _establish(self.transport)
        try:
            for name in _reader_names(context, self.transport):
                if name.startswith(self.reader_prefix):
                    return name
        finally:
            self.transport.release(context)
        raise ReaderNotFound("no eID reader matches the configured prefix")

    def card_present(self) -> bool:
        reader = self.find_reader()
        context = _establish(self.transport)
        try:
            return _present(context, reader, self.transport)
        finally:
            self.transport.release(context)

    def open_session(self) -> EidSession:
        reader = self.find_reader()
        session = EidSession(reader=reader, trust=self.trust, transport=self.transport)
        try:
            session.open()
        except BaseException:
            session.close()
            raise
        return session


class EidSession:
    """One connection to one card; each logical operation runs inside one PC/SC transaction."""

    def __init__(
        self, *, reader: str, trust: TrustStore, transport: CardTransport | None = None
    ) -> None:
        self.reader = reader
        self.trust = trust
        self._transport: CardTransport = transport or transport_for(reader)
        self._context = _establish(self._transport)
        self._card: int | None = None
        self._protocol = 0
        self._depth = 0
        self._in_transaction = False
        self.atr = b""
        self.card_data: CardData | None = None
        self.apdu_count = 0
        self.recoveries = 0
        self._pin_verified = False
        self._identity_file: bytes | None = None
        self._features: dict[int, int] | None = None
        self._lock = threading.RLock()

    # -- connection ----------------------------------------------------------------------------
    def open(self) -> None:
        if not _present(self._context, self.reader, self._transport):
            raise NoCard("no card in the reader")
        deadline = time.monotonic() + CONNECT_DEADLINE
        while True:
            code, card, protocol = self._transport.connect(self._context, self.reader)
            if code == scard.SCARD_S_SUCCESS:
                break
            if code in _REMOVED_CODES:
                raise NoCard(f"no card: {_message(code)}")
            if code in _UNAVAILABLE_CODES:
                raise ReaderUnavailable(f"cannot connect: {_message(code)}")
            if code not in _TRANSIENT_CONNECT_CODES or time.monotonic() >= deadline:
                raise CardCommunicationError(f"cannot connect: {_message(code)}")
            time.sleep(0.05)
        self._card, self._protocol = int(card), int(protocol)
        with self._operation():
            code, atr = self._transport.atr(self._card)
            if code == scard.SCARD_S_SUCCESS:
                self.atr = atr
            self._with_recovery(self._start_applet)  # the previous session's reset may still run

    @contextlib.contextmanager
    def _operation(self) -> Iterator[None]:
        """One logical operation = one PC/SC transaction (nested calls share the outer one)."""
        with self._lock:
            if self._card is None:
                raise CardCommunicationError("session is closed")
            if self._depth == 0:
                self._begin()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._end()

    def _begin(self) -> None:
        assert self._card is not None
        code = self._transport.begin_transaction(self._card)
        if code != scard.SCARD_S_SUCCESS:
            raise self._error(code, "begin transaction")
        self._in_transaction = True

    def _end(self) -> None:
        if self._card is not None and self._in_transaction:
            self._transport.end_transaction(self._card)
        self._in_transaction = False

    def _start_applet(self) -> None:
        _, sw = self._command(bytes.fromhex("00A4040C0F") + APPLET_AID)
        if sw != SW_OK:
            raise NotAnEidCard(f"BELPIC applet not selectable (SW {sw:04X})")
        data, sw = self._command(bytes.fromhex("80E400001C"))
        if sw != SW_OK:
            raise NotAnEidCard(f"GET CARD DATA refused (SW {sw:04X})")
        card_data = CardData.from_bytes(data)
        if card_data.is_applet_1_8:
            data, sw = self._command(bytes.fromhex("80E400011F"))
            if sw == SW_OK:
                card_data = CardData.from_bytes(data)
        if self.card_data is not None and card_data.serial != self.card_data.serial:
            raise CardRemoved("another card is in the reader")
        self.card_data = card_data
        log.info(
            "eID session opened",
            extra={"applet": f"{card_data.applet_version:#04x}", "reader": self.reader},
        )

    def _recover(self) -> None:
        """Reset the card and select the applet again (after a lost link), within a deadline."""
        assert self._card is not None
        self.recoveries += 1
        self._pin_verified = False
        self._in_transaction = False
        deadline = time.monotonic() + RECOVER_DEADLINE
        while True:
            code, protocol = self._transport.reconnect_with_reset(self._card)
            if code == scard.SCARD_S_SUCCESS:
                break
            if time.monotonic() >= deadline:
                raise self._error(code, "reconnect")
            time.sleep(0.05)  # the link comes back on the reader's next presence poll
        self._protocol = int(protocol)
        if self._depth > 0:
            self._begin()
        self._start_applet()

    def _error(self, code: int, action: str) -> EidError | ReaderUnavailable:
        if code in _UNAVAILABLE_CODES:
            return ReaderUnavailable(f"reader unavailable during {action}: {_message(code)}")
        if code in _REMOVED_CODES:
            return CardRemoved(f"card removed during {action}")
        deadline = time.monotonic() + PRESENCE_DEADLINE
        while time.monotonic() < deadline:
            try:
                if not _present(self._context, self.reader, self._transport):
                    return CardRemoved(f"card removed during {action}")
            except ReaderUnavailable as err:
                return err
            time.sleep(0.05)
        return CardCommunicationError(f"{action} failed: {_message(code)}")

    def _with_recovery(self, action: Callable[[], _T]) -> _T:
        """Run `action`; on a lost link reset the card, select the applet and run it again."""
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                return action()
            except CardCommunicationError:
                if attempt == MAX_RECOVERIES or self._card is None:
                    raise
                log.warning("eID link lost; resetting the card", extra={"attempt": attempt})
                self._recover()
        raise AssertionError("unreachable")

    # -- transport -----------------------------------------------------------------------------
    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self._card is None:
            raise CardCommunicationError("session is closed")
        self.apdu_count += 1
        code, response = self._transport.transmit(self._card, self._protocol, apdu)
        if code in _RESET_CODES:
            raise CardCommunicationError(f"card was reset: {_message(code)}")
        if code != scard.SCARD_S_SUCCESS:
            raise self._error(code, "transmit")
        if len(response) < 2:
            raise CardCommunicationError("answer without status word")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def _command(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command, following 6Cxx (resend with Le=xx) and 61xx (GET RESPONSE)."""
        data, sw = self._transmit(apdu)
        if sw >> 8 == 0x6C and len(apdu) == 5:
            if self.card_data is not None and self.card_data.needs_6c_delay:
                time.sleep(V1_6C_DELAY)
            data, sw = self._transmit(apdu[:4] + bytes([sw & 0xFF]))
        collected = bytearray(data)
        while sw >> 8 == 0x61:
            more, sw = self._transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            collected += more
        return bytes(collected), sw

    def _select(self, df: int, ef: int | None = None) -> None:
        path = df.to_bytes(2, "big") + (b"" if ef is None else ef.to_bytes(2, "big"))
        _, sw = self._command(bytes([0x00, 0xA4, 0x08, 0x0C, len(path)]) + path)
        if sw == SW_OK:
            return
        for fid in (0x3F00, df) if ef is None else (0x3F00, df, ef):
            _, sw = self._command(bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + fid.to_bytes(2, "big"))
            if sw != SW_OK:
                raise CardDataError(f"file {df:04X}/{ef or 0:04X} not selectable (SW {sw:04X})")

    def _read_binary_file(self, df: int, ef: int, *, der: bool = False) -> bytes:
        """Read a transparent EF; with `der`, stop at the end of the DER element (padding skipped).

        EOF is a chunk shorter than asked (after 6Cxx). 6B00/6986 right after a full chunk may be a
        spurious EOF of a cheap reader: select the file again and retry the same offset once; a
        second 6B00 is the real end (a file whose size is a multiple of the chunk).
        """
        cap = MAX_CERTIFICATE if der else MAX_FILE_SIZE.get((df, ef), MAX_ADDRESSABLE)
        self._select(df, ef)
        content = bytearray()
        retries = 0
        limit: int | None = None
        while limit is None or len(content) < limit:
            offset = len(content)
            wanted = CHUNK if limit is None else min(CHUNK, limit - offset)
            data, sw = self._command(bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, wanted]))
            if sw == SW_OK:
                content += data
                if der and limit is None and len(content) >= 4:
                    limit = _der_limit(bytes(content))
                if len(content) > cap or (limit is not None and limit > cap):
                    raise CardDataError(
                        f"file {df:04X}/{ef:04X} is larger than the card allows ({cap} bytes)"
                    )
                if len(data) < wanted:
                    break
                continue
            if sw in (0x6B00, 0x6986) and retries < 1:
                retries += 1  # cheap readers report a spurious EOF mid-file: retry once
                self._select(df, ef)
                continue
            if sw == 0x6B00 and offset > 0 and limit is None:
                break
            raise CardDataError(f"READ BINARY {df:04X}/{ef:04X} failed (SW {sw:04X})")
        return bytes(content if limit is None else content[:limit])

    def read_file(self, df: int, ef: int, *, der: bool = False) -> bytes:
        """Read one file, resetting the card and retrying when the link was lost."""
        with self._operation():
            return self._with_recovery(lambda: self._read_binary_file(df, ef, der=der))

    # -- public operations ---------------------------------------------------------------------
    def read(
        self, *, strict: bool = True, today: date | None = None, photo: bool = False
    ) -> CardRead:
        """Read and verify identity and address (and the photo when asked).

        Applet 1.8: the basic key file is hashed against the identity file and the card must sign a
        fresh 48-byte challenge with it (a cloned chip cannot). `strict` raises the first failed
        check as a typed error.
        """
        with self._operation():
            assert self.card_data is not None
            identity_file = self.read_file(DF_ID, EF_IDENTITY)
            identity_signature = self.read_file(DF_ID, EF_IDENTITY_SIGNATURE)
            address_file = self.read_file(DF_ID, EF_ADDRESS)
            address_signature = self.read_file(DF_ID, EF_ADDRESS_SIGNATURE)
            photo_file = self.read_file(DF_ID, EF_PHOTO) if photo else None
            basic_key = (
                self.read_file(DF_ID, EF_BASIC_KEY) if self.card_data.is_applet_1_8 else None
            )
            rrn_certificate = self.read_file(DF_BELPIC, EF_RRN_CERTIFICATE, der=True)
            challenge: tuple[bytes, bytes] | None = None
            if basic_key is not None:
                nonce = os.urandom(CHALLENGE_LENGTH)
                challenge = (nonce, self.internal_authenticate(nonce))
        self._identity_file = identity_file
        files = RawFiles(
            identity=identity_file,
            identity_signature=identity_signature,
            address=address_file,
            address_signature=address_signature,
            rrn_certificate=rrn_certificate,
            basic_key=basic_key,
            photo=photo_file,
        )
        identity = Identity.from_file(identity_file)
        address = Address.from_file(address_file)
        report = verify_card(
            files=files,
            identity=identity,
            trust=self.trust,
            today=today or datetime.now(tz=UTC).astimezone().date(),
            challenge=challenge,
        )
        log.info(
            "eID read",
            extra={
                "national_number": identity.masked_national_number,
                "verified": report.ok,
                "failed": [check.name for check in report.failures],
                "apdus": self.apdu_count,
            },
        )
        if strict:
            raise_for_report(report)
        return CardRead(
            identity=identity,
            address=address,
            card_data=self.card_data,
            atr=self.atr,
            files=files,
            report=report,
        )

    def read_photo(self) -> bytes:
        """The photo JPEG, checked against the photo hash of the identity file."""
        with self._operation():
            identity_file = self._identity_file or self.read_file(DF_ID, EF_IDENTITY)
            photo = self.read_file(DF_ID, EF_PHOTO)
        expected = Identity.from_file(identity_file).photo_hash
        if not photo_hash_matches(photo, expected):
            raise CardVerificationError("photo does not match its hash", check=CHECK_PHOTO_HASH)
        return photo

    def pin_tries_left(self) -> int | None:
        """Remaining PIN tries without risking one (None when the card does not say).

        1.8: GET CARD DATA P2=01; 1.7: VERIFY with Lc=0. Never the empty VERIFY on 1.1 applets,
        where it counts as a wrong PIN.
        """
        with self._operation():
            assert self.card_data is not None
            if self.card_data.is_applet_1_8:
                data, sw = self._command(bytes.fromhex("80E400011F"))
                if sw == SW_OK:
                    return CardData.from_bytes(data).pin_tries_left
                return None
            if self.card_data.applet_version < 0x17:
                return None
            _, sw = self._command(bytes.fromhex("00200001"))
            return _tries_from_sw(sw)

    # -- PIN -----------------------------------------------------------------------------------
    def _control(self, code: int, data: bytes) -> bytes:
        """SCardControl on this card's reader (PC/SC part 10 features)."""
        assert self._card is not None
        result, response = self._transport.control(self._card, code, data)
        if result != scard.SCARD_S_SUCCESS:
            raise CardCommunicationError(f"reader control failed: {_message(result)}")
        return response

    @property
    def has_pinpad(self) -> bool:
        """True when the reader offers FEATURE_VERIFY_PIN_DIRECT (asked once per session)."""
        with self._lock:
            if self._features is None:
                try:
                    self._features = parse_features(
                        self._control(CM_IOCTL_GET_FEATURE_REQUEST, b"")
                    )
                except CardCommunicationError:
                    self._features = {}  # vpcd and plain readers: no features at all
            return FEATURE_VERIFY_PIN_DIRECT in self._features

    def verify_pin(self, pin: bytearray | None = None, *, language: str = "fr") -> PinCheck:
        """VERIFY the cardholder PIN.

        With `pin` (ASCII digits, wiped before this returns) the kiosk built the block; with None the
        resident types it on the reader's pinpad (FEATURE_VERIFY_PIN_DIRECT), which is preferred
        whenever `has_pinpad`. Pinpad time-out / cancel raise `PinEntryTimeout` / `PinEntryCancelled`.
        """
        with self._operation():
            sw = self._verify_on_pinpad(language) if pin is None else self._verify_block(pin)
            if sw == SW_OK:
                self._pin_verified = True
                log.info("eID PIN accepted")
                return PinCheck(status=PinStatus.ACCEPTED, tries_left=None)
            self._pin_verified = False
            tries = _tries_from_sw(sw)
            if tries is None:
                raise CardCommunicationError(f"VERIFY answered SW {sw:04X}")
            status = PinStatus.BLOCKED if tries == 0 else PinStatus.WRONG
            log.info("eID PIN refused", extra={"tries_left": tries, "status": status.value})
            return PinCheck(status=status, tries_left=tries)

    def change_pin(self, current: bytearray, new: bytearray) -> PinCheck:
        """CHANGE REFERENCE DATA: replace the PIN (both buffers are wiped before this returns).

        A wrong current PIN costs a try like VERIFY; a new PIN the card refuses is `PinFormatError`.
        """
        blocks = bytearray()
        try:
            blocks += pin_block(current)
            blocks += pin_block(new)
        finally:
            _wipe(current)
            _wipe(new)
        apdu = bytearray(b"\x00\x24\x00\x01\x10") + blocks
        _wipe(blocks)
        with self._operation():
            try:
                _, sw = self._command(bytes(apdu))
            finally:
                _wipe(apdu)
            if sw == SW_OK:
                self._pin_verified = True
                log.info("eID PIN changed")
                return PinCheck(status=PinStatus.ACCEPTED, tries_left=None)
            if sw == 0x6A80:
                raise PinFormatError("the card refused the new PIN")
            self._pin_verified = False
            tries = _tries_from_sw(sw)
            if tries is None:
                raise CardCommunicationError(f"CHANGE REFERENCE DATA answered SW {sw:04X}")
            status = PinStatus.BLOCKED if tries == 0 else PinStatus.WRONG
            log.info("eID PIN change refused", extra={"tries_left": tries, "status": status.value})
            return PinCheck(status=status, tries_left=tries)

    def _verify_block(self, pin: bytearray) -> int:
        try:
            block = pin_block(pin)
        finally:
            _wipe(pin)
        apdu = bytearray(b"\x00\x20\x00\x01\x08") + block
        _wipe(block)
        try:
            _, sw = self._command(bytes(apdu))
        finally:
            _wipe(apdu)
        return sw

    def _verify_on_pinpad(self, language: str) -> int:
        if not self.has_pinpad:
            raise PinpadUnavailable("the reader has no PIN pad")
        assert self._features is not None
        self.apdu_count += 1
        answer = self._control(
            self._features[FEATURE_VERIFY_PIN_DIRECT], pin_verify_structure(language=language)
        )
        if len(answer) < 2:
            raise CardCommunicationError("pinpad answered without status word")
        sw = (answer[-2] << 8) | answer[-1]
        if sw == SW_PINPAD_TIMEOUT:
            raise PinEntryTimeout("no PIN typed on the pinpad in time")
        if sw == SW_PINPAD_CANCELLED:
            raise PinEntryCancelled("PIN entry cancelled on the pinpad")
        return sw

    # -- card keys -----------------------------------------------------------------------------
    def internal_authenticate(self, challenge: bytes) -> bytes:
        """Applet 1.8 basic key: raw r‖s signature of a 48-byte challenge."""
        if len(challenge) != CHALLENGE_LENGTH:
            raise ValueError("the challenge must be 48 bytes")
        apdu = bytes([0x00, 0x88, 0x02, 0x81, 50, 0x94, 48]) + challenge
        with self._operation():
            data, sw = self._with_recovery(lambda: self._command(apdu))
        if sw != SW_OK:
            raise CardCommunicationError(f"INTERNAL AUTHENTICATE answered SW {sw:04X}")
        return data

    def prove_presence(self, nonce: bytes, pin: bytearray | None) -> CitizenProof:
        """Sign SHA-384 (1.8) / SHA-256 (1.7) of `nonce` with the citizen's Authentication key.

        MSE:SET key 0x82, VERIFY unless the PIN was already verified in this session ("PIN
        once"; `pin` None = on the pinpad), PSO:CDS. Check the result with `verify_citizen_proof`.
        """
        with self._operation():
            assert self.card_data is not None
            ecc = self.card_data.is_applet_1_8
            certificate = self.read_file(DF_BELPIC, EF_AUTHENTICATION_CERTIFICATE, der=True)
            if not certificate or not certificate[0]:
                if pin is not None:
                    _wipe(pin)
                raise NoAuthenticationCertificate("the card has no authentication certificate")
            ca_certificate = self.read_file(DF_BELPIC, EF_CA_CERTIFICATE, der=True)
            self._select(DF_BELPIC)
            algorithm = 0x02 if ecc else 0x08
            _, sw = self._command(
                bytes([0x00, 0x22, 0x41, 0xB6, 0x05, 0x04, 0x80, algorithm, 0x84])
                + bytes([KEY_AUTHENTICATION])
            )
            if sw != SW_OK:
                raise CardCommunicationError(f"MSE:SET answered SW {sw:04X}")
            if self._pin_verified:
                if pin is not None:
                    _wipe(pin)
            else:
                check = self.verify_pin(pin)
                if check.status is PinStatus.BLOCKED:
                    raise PinBlocked("PIN blocked")
                if not check.accepted:
                    raise WrongPin("wrong PIN", tries_left=check.tries_left)
            digest = (hashlib.sha384 if ecc else hashlib.sha256)(nonce).digest()
            signature, sw = self._command(bytes([0x00, 0x2A, 0x9E, 0x9A, len(digest)]) + digest)
            if sw == 0x6982:
                self._pin_verified = False
                raise PinRequired("the card wants the PIN again")
            if sw != SW_OK:
                raise CardCommunicationError(f"PSO:CDS answered SW {sw:04X}")
        log.info("citizen proof signed", extra={"applet": f"{self.card_data.applet_version:#04x}"})
        return CitizenProof(
            signature=signature,
            certificate=certificate,
            ca_certificate=ca_certificate,
            applet_version=self.card_data.applet_version,
        )

    def close(self) -> None:
        """LOG OFF, end the transaction, disconnect with reset. Safe to call twice."""
        with self._lock:
            card, self._card = self._card, None
            self._pin_verified = False
            if card is not None:
                try:
                    if not self._in_transaction:
                        self._transport.begin_transaction(card)
                        self._in_transaction = True
                    self._transport.transmit(card, self._protocol, bytes([0x80, 0xE6, 0x00, 0x00]))
                    self._transport.end_transaction(card)
                finally:
                    self._in_transaction = False
                    self._transport.disconnect_with_reset(card)
            if self._context:
                self._transport.release(self._context)
                self._context = 0

    def __enter__(self) -> EidSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _tries_from_sw(sw: int) -> int | None:
    if sw & 0xFFF0 == 0x63C0:
        return sw & 0x0F
    if sw == 0x6983:
        return 0
    return None


class CardMonitor:
    """Reports card and reader events from a watcher thread, once `start()`ed.

    "inserted" / "removed": the resident's card. "reader_unavailable": the PC/SC service (pcscd) is
    gone; "reader_lost": PC/SC answers but the reader is not listed any more. Neither is a removed
    card. "reader_restored": the reader is back after either (followed by "inserted" when a card is
    in it). The monitor keeps trying, so it recovers by itself when pcscd or the reader returns.
    """

    POLL_MS = 200
    RETRY_S = 0.2

    def __init__(
        self,
        *,
        reader_prefix: str,
        on_event: Callable[[str], None],
        transport: CardTransport | None = None,
    ) -> None:
        self.reader_prefix = reader_prefix
        self.on_event = on_event
        self._transport: CardTransport = transport or transport_for(reader_prefix)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eid-monitor", daemon=True)
        self._present: bool | None = None
        self._lost: str | None = None  # the loss event last reported, until "reader_restored"

    def start(self) -> None:
        """Start watching the reader; events come from the watcher thread from now on."""
        self._thread.start()

    def _emit(self, event: str) -> None:
        try:
            self.on_event(event)
        except Exception:
            log.exception("card event listener failed", extra={"event": event})

    def _find(self, context: int | None) -> tuple[int | None, str | None, str]:
        """(context, reader, loss kind if the reader cannot be used)."""
        transport = self._transport
        try:
            if context is None:
                context = _establish(transport)
        except ReaderUnavailable:
            return None, None, "reader_unavailable"
        code, readers = transport.list_readers(context)
        if code in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED):
            transport.release(context)
            return None, None, "reader_unavailable"
        names = readers if code == scard.SCARD_S_SUCCESS else []
        reader = next((n for n in names if n.startswith(self.reader_prefix)), None)
        return context, reader, "" if reader is not None else "reader_lost"

    def _lose(self, kind: str) -> None:
        if self._present is None and self._lost is None:
            return  # never saw the reader: nothing was lost
        if self._lost != kind:
            log.warning("eID reader unavailable", extra={"kind": kind})
            self._lost = kind
            self._present = None
            self._emit(kind)

    def _run(self) -> None:
        transport = self._transport
        context: int | None = None
        known = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            context, reader, loss = self._find(context)
            if reader is None or context is None:
                self._lose(loss)
                if context is not None:
                    transport.release(context)
                    context = None
                known = scard.SCARD_STATE_UNAWARE
                self._stop.wait(self.RETRY_S)
                continue
            code, state = transport.status_change(context, reader, known, self.POLL_MS)
            if code == scard.SCARD_E_TIMEOUT:
                continue
            if code != scard.SCARD_S_SUCCESS or state & scard.SCARD_STATE_UNKNOWN:
                transport.release(context)
                context = None
                known = scard.SCARD_STATE_UNAWARE
                self._stop.wait(0.1)
                continue
            if self._lost is not None:
                self._lost = None
                log.info("eID reader restored")
                self._emit("reader_restored")
            known = state & ~scard.SCARD_STATE_CHANGED
            present = bool(known & scard.SCARD_STATE_PRESENT)
            if present != self._present:
                first = self._present is None
                self._present = present
                if present or not first:
                    self._emit("inserted" if present else "removed")
        if context is not None:
            transport.release(context)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

"""Reading the Belgian eID over PC/SC (pyscard's scard layer, APDUs only, no PKCS#11).

`EidReader` finds the reader and opens one `EidSession` per citizen: reading and verifying identity,
address and photo, the PIN (typed on the screen or on the reader's pinpad), the card's keys. The
link to the card (transactions, status words, recovery after a reset, presence) is
`hardware.eid.link`; the files and commands as bytes are `hardware.eid.apdu`.

The bytes go through a `CardTransport` (`hardware.eid.transport`): pyscard over pcscd by default,
the transport given as `transport=`, or the in-process reader the reader name points to (the virtual
card on machines without pcscd).
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, date, datetime

from smartcard import scard

from hardware.eid.apdu import (
    CM_IOCTL_GET_FEATURE_REQUEST,
    DF_BELPIC,
    DF_ID,
    EF_ADDRESS,
    EF_ADDRESS_SIGNATURE,
    EF_AUTHENTICATION_CERTIFICATE,
    EF_BASIC_KEY,
    EF_CA_CERTIFICATE,
    EF_IDENTITY,
    EF_IDENTITY_SIGNATURE,
    EF_PHOTO,
    EF_RRN_CERTIFICATE,
    FEATURE_VERIFY_PIN_DIRECT,
    KEY_AUTHENTICATION,
    SW_OK,
    SW_PINPAD_CANCELLED,
    SW_PINPAD_TIMEOUT,
    parse_features,
    pin_block,
    pin_verify_structure,
    tries_from_sw,
    wipe,
)
from hardware.eid.errors import (
    CardCommunicationError,
    CardVerificationError,
    NoAuthenticationCertificate,
    PinBlocked,
    PinEntryCancelled,
    PinEntryTimeout,
    PinFormatError,
    PinpadUnavailable,
    PinRequired,
    ReaderNotFound,
    WrongPin,
)
from hardware.eid.link import CardLink
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
from hardware.eid.pcsc import (
    card_in_reader,
    error_message,
    establish,
    reader_names,
)
from hardware.eid.transport import CardTransport, transport_for
from hardware.eid.verify import (
    CHALLENGE_LENGTH,
    CHECK_PHOTO_HASH,
    TrustStore,
    photo_hash_matches,
    raise_for_report,
    verify_card,
)

log = logging.getLogger(__name__)


V1_6C_DELAY = 0.05
PRESENCE_DEADLINE = 1.5
CONNECT_DEADLINE = 2.0
RECOVER_DEADLINE = 2.0
MAX_RECOVERIES = 2


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
        context = establish(self.transport)
        try:
            for name in reader_names(context, self.transport):
                if name.startswith(self.reader_prefix):
                    return name
        finally:
            self.transport.release(context)
        raise ReaderNotFound("no eID reader matches the configured prefix")

    def card_present(self) -> bool:
        reader = self.find_reader()
        context = establish(self.transport)
        try:
            return card_in_reader(context, reader, self.transport)
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


class EidSession(CardLink):
    """The card's operations for one resident: read and verify, PIN, card keys."""

    def __init__(
        self, *, reader: str, trust: TrustStore, transport: CardTransport | None = None
    ) -> None:
        super().__init__(reader=reader, transport=transport)
        self.trust = trust
        self._identity_file: bytes | None = None
        self._features: dict[int, int] | None = None

    # -- public operations ---------------------------------------------------------------------
    def read(
        self, *, strict: bool = True, today: date | None = None, photo: bool = False
    ) -> CardRead:
        """Read and verify identity and address (and the photo when asked).

        Applet 1.8: the basic key file is hashed against the identity file and the card must sign a
        fresh 48-byte challenge with it (a cloned chip cannot). `strict` raises the first failed
        check as a typed error.
        """
        files, challenge = self._read_files(photo=photo)
        assert self.card_data is not None
        identity = Identity.from_file(files.identity)
        address = Address.from_file(files.address)
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

    def _read_files(self, *, photo: bool) -> tuple[RawFiles, tuple[bytes, bytes] | None]:
        """The files `read` verifies, and the card's answer to a fresh challenge (applet 1.8)."""
        with self._operation():
            assert self.card_data is not None
            identity_file = self.read_file(DF_ID, EF_IDENTITY)
            files = RawFiles(
                identity=identity_file,
                identity_signature=self.read_file(DF_ID, EF_IDENTITY_SIGNATURE),
                address=self.read_file(DF_ID, EF_ADDRESS),
                address_signature=self.read_file(DF_ID, EF_ADDRESS_SIGNATURE),
                photo=self.read_file(DF_ID, EF_PHOTO) if photo else None,
                basic_key=(
                    self.read_file(DF_ID, EF_BASIC_KEY) if self.card_data.is_applet_1_8 else None
                ),
                rrn_certificate=self.read_file(DF_BELPIC, EF_RRN_CERTIFICATE, der=True),
            )
            challenge: tuple[bytes, bytes] | None = None
            if files.basic_key is not None:
                nonce = os.urandom(CHALLENGE_LENGTH)
                challenge = (nonce, self.internal_authenticate(nonce))
        self._identity_file = identity_file
        return files, challenge

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
            return tries_from_sw(sw)

    # -- PIN -----------------------------------------------------------------------------------
    def _control(self, code: int, data: bytes) -> bytes:
        """SCardControl on this card's reader (PC/SC part 10 features)."""
        assert self._card is not None
        result, response = self._transport.control(self._card, code, data)
        if result != scard.SCARD_S_SUCCESS:
            raise CardCommunicationError(f"reader control failed: {error_message(result)}")
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
            tries = tries_from_sw(sw)
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
            wipe(current)
            wipe(new)
        apdu = bytearray(b"\x00\x24\x00\x01\x10") + blocks
        wipe(blocks)
        with self._operation():
            try:
                _, sw = self._command(bytes(apdu))
            finally:
                wipe(apdu)
            if sw == SW_OK:
                self._pin_verified = True
                log.info("eID PIN changed")
                return PinCheck(status=PinStatus.ACCEPTED, tries_left=None)
            if sw == 0x6A80:
                raise PinFormatError("the card refused the new PIN")
            self._pin_verified = False
            tries = tries_from_sw(sw)
            if tries is None:
                raise CardCommunicationError(f"CHANGE REFERENCE DATA answered SW {sw:04X}")
            status = PinStatus.BLOCKED if tries == 0 else PinStatus.WRONG
            log.info("eID PIN change refused", extra={"tries_left": tries, "status": status.value})
            return PinCheck(status=status, tries_left=tries)

    def _verify_block(self, pin: bytearray) -> int:
        try:
            block = pin_block(pin)
        finally:
            wipe(pin)
        apdu = bytearray(b"\x00\x20\x00\x01\x08") + block
        wipe(block)
        try:
            _, sw = self._command(bytes(apdu))
        finally:
            wipe(apdu)
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
                    wipe(pin)
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
                    wipe(pin)
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

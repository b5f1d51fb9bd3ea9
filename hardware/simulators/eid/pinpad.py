"""A pinpad reader in front of the virtual card, simulated at the SCardControl level only.

vpcd implements no reader control (its IFDHControl refuses every code), so a pinpad reader is
simulated where its firmware sits: `SimulatedPinpad` is a `ControlHandler`
(`hardware.eid.transport.set_control_handler`) for the vpcd reader. The card, pcscd and vpcd stay
real: the VERIFY the "reader" builds from the digits typed on it goes to the virtual card through
pcscd (SCardTransmit), and the card's status word is the answer, as a CCID reader returns it.

The bytes, from PC/SC part 10 (Interoperability Specification for ICCs and Personal Computer
Systems, Part 10, v2.02.09):

* §2.2 / §2.3 GET_FEATURE_REQUEST: `SCardControl(CM_IOCTL_GET_FEATURE_REQUEST = SCARD_CTL_CODE(3400))`
  answers a list of TLVs, each `tag` (the feature, 1 byte), `length` (04), `value` (the control
  code of the feature, 4 bytes, big-endian). FEATURE_VERIFY_PIN_DIRECT is tag 06. The CCID
  driver's control codes are `SCARD_CTL_CODE(feature + 0x330000)` (its `CLASS2_IOCTL_MAGIC`, in
  `ccid_ifdhandler.h`), on pcsc-lite `0x42000000 + code`: a CCID pinpad lists
  `06 04 42 33 00 06`, which is what this reader answers.
* §2.5.2 PIN_VERIFY_STRUCTURE: bTimerOut, bTimerOut2, bmFormatString, bmPINBlockString,
  bmPINLengthFormat, wPINMaxExtraDigit (min digits ‖ max digits), bEntryValidationCondition,
  bNumberMessage, wLangId, bMsgIndex, bTeoPrologue (3), ulDataLength (4, little-endian), then
  abData, the APDU the reader completes with the PIN (`parse_verify_structure`,
  `place_pin`). Positions in bmFormatString / bmPINLengthFormat count from the start of the
  APDU's data field (after CLA INS P1 P2 Lc), bit positions from its most significant bit.
* The reader's own statuses: 64 00 time-out, 64 01 cancelled, 64 03 wrong PIN length,
  6B 80 invalid parameter (as eid-mw's pinpad code expects them).
"""

from __future__ import annotations

import enum
import queue
import threading
from dataclasses import dataclass

from smartcard import scard

from hardware.eid.transport import CardLine

CM_IOCTL_GET_FEATURE_REQUEST = scard.SCARD_CTL_CODE(3400)
FEATURE_VERIFY_PIN_DIRECT = 0x06
CCID_CLASS2_IOCTL_MAGIC = 0x330000
VERIFY_PIN_DIRECT_IOCTL = scard.SCARD_CTL_CODE(FEATURE_VERIFY_PIN_DIRECT + CCID_CLASS2_IOCTL_MAGIC)
HEADER = 19
"""PIN_VERIFY_STRUCTURE up to abData."""

TIMED_OUT = b"\x64\x00"
CANCELLED = b"\x64\x01"
WRONG_LENGTH = b"\x64\x03"
BAD_PARAMETER = b"\x6b\x80"


class PinpadFormatError(ValueError):
    """The PIN_VERIFY_STRUCTURE is one this reader cannot honour."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyRequest:
    """A PIN_VERIFY_STRUCTURE, field by field (PC/SC part 10 §2.5.2)."""

    timeout_s: int
    timeout2_s: int
    format_string: int
    block_string: int
    length_format: int
    min_digits: int
    max_digits: int
    validation: int
    messages: int
    language: int
    message_index: int
    apdu: bytes

    @property
    def pin_offset_bytes(self) -> int:
        """Where the PIN starts in the APDU's data field (bmFormatString bits 6-3, byte units)."""
        return (self.format_string >> 3) & 0x0F

    @property
    def bcd(self) -> bool:
        return self.format_string & 0x03 == 0x01

    @property
    def length_bits(self) -> int:
        """The size of the PIN length field (bmPINBlockString bits 7-4)."""
        return self.block_string >> 4

    @property
    def block_bytes(self) -> int:
        """The PIN block's size (bmPINBlockString bits 3-0)."""
        return self.block_string & 0x0F

    @property
    def length_position_bits(self) -> int:
        """Where the length field starts, in bits from the data field's first bit."""
        return self.length_format & 0x0F


def parse_verify_structure(data: bytes) -> VerifyRequest:
    """The fields of a PIN_VERIFY_STRUCTURE; `PinpadFormatError` when it is not whole."""
    if len(data) < HEADER:
        raise PinpadFormatError("PIN_VERIFY_STRUCTURE shorter than its header")
    length = int.from_bytes(data[15:19], "little")
    if len(data) != HEADER + length or length < 5:
        raise PinpadFormatError("ulDataLength does not match the APDU")
    extra = int.from_bytes(data[5:7], "little")  # wPINMaxExtraDigit: XX min ‖ YY max
    return VerifyRequest(
        timeout_s=data[0],
        timeout2_s=data[1],
        format_string=data[2],
        block_string=data[3],
        length_format=data[4],
        min_digits=extra >> 8,
        max_digits=extra & 0xFF,
        validation=data[7],
        messages=data[8],
        language=int.from_bytes(data[9:11], "little"),
        message_index=data[11],
        apdu=bytes(data[HEADER:]),
    )


def place_pin(request: VerifyRequest, digits: str) -> bytes:
    """The APDU of `request` with `digits` written in, as the reader's firmware does.

    BCD, left-justified, one nibble per digit from the PIN's byte offset (the template's other
    nibbles stay, `F` for the eID); the digit count in the length field at its bit position.
    """
    if not request.bcd or request.format_string & 0x80 == 0 or request.format_string & 0x04:
        raise PinpadFormatError("only left-justified BCD in byte units is simulated")
    if not digits.isdigit() or len(digits) > 2 * request.block_bytes:
        raise PinpadFormatError("the PIN does not fit the PIN block")
    apdu = bytearray(request.apdu)
    data = 5
    start = data + request.pin_offset_bytes
    for i, digit in enumerate(digits):
        index, high = start + i // 2, i % 2 == 0
        value = int(digit)
        apdu[index] = (value << 4) | (apdu[index] & 0x0F) if high else (apdu[index] & 0xF0) | value
    if request.length_bits:
        bit = request.length_position_bits
        width = request.length_bits
        if (bit % 8) + width > 8:
            raise PinpadFormatError("a length field across two bytes is not simulated")
        index, shift = data + bit // 8, 8 - (bit % 8) - width
        mask = ((1 << width) - 1) << shift
        apdu[index] = (apdu[index] & ~mask & 0xFF) | ((len(digits) << shift) & mask)
    return bytes(apdu)


class Key(enum.Enum):
    """What the resident does on the reader's keypad for one entry."""

    PIN = "pin"
    CANCEL = "cancel"
    TIMER = "timer"
    """The entry's timer ran out (a test's shortcut for waiting bTimerOut seconds)."""


class SimulatedPinpad:
    """A CCID pinpad reader's firmware: feature list and VERIFY_PIN_DIRECT, keys typed by a test.

    `type_pin`, `cancel` and `time_out` queue what the resident does at the next entry (they may
    come before the kiosk asks). With nothing queued the entry waits bTimerOut seconds, then
    answers 64 00 like a real reader. `prompted` is set while an entry waits for its keys.
    """

    def __init__(self) -> None:
        self._keys: queue.Queue[tuple[Key, str]] = queue.Queue()
        self.prompted = threading.Event()
        self.structures: list[bytes] = []
        self.entries = 0
        self.sent: list[bytes] = []
        """The APDUs this reader sent to the card (with the PIN typed on it)."""

    # -- the resident -------------------------------------------------------------------------
    def type_pin(self, digits: str) -> None:
        """Type `digits`, then OK."""
        self._keys.put((Key.PIN, digits))

    def cancel(self) -> None:
        self._keys.put((Key.CANCEL, ""))

    def time_out(self) -> None:
        self._keys.put((Key.TIMER, ""))

    # -- the firmware -------------------------------------------------------------------------
    def control(self, code: int, data: bytes, line: CardLine) -> tuple[int, bytes]:
        if code == CM_IOCTL_GET_FEATURE_REQUEST:
            tlv = bytes([FEATURE_VERIFY_PIN_DIRECT, 4]) + VERIFY_PIN_DIRECT_IOCTL.to_bytes(4, "big")
            return scard.SCARD_S_SUCCESS, tlv
        if code != VERIFY_PIN_DIRECT_IOCTL:
            return scard.SCARD_E_UNSUPPORTED_FEATURE, b""
        self.structures.append(bytes(data))
        try:
            request = parse_verify_structure(data)
        except PinpadFormatError:
            return scard.SCARD_S_SUCCESS, BAD_PARAMETER
        return scard.SCARD_S_SUCCESS, self._entry(request, line)

    def _entry(self, request: VerifyRequest, line: CardLine) -> bytes:
        self.entries += 1
        self.prompted.set()
        try:
            key, digits = self._keys.get(timeout=request.timeout_s or None)
        except queue.Empty:
            return TIMED_OUT
        finally:
            self.prompted.clear()
        if key is Key.CANCEL:
            return CANCELLED
        if key is Key.TIMER:
            return TIMED_OUT
        if not request.min_digits <= len(digits) <= request.max_digits:
            return WRONG_LENGTH
        try:
            apdu = place_pin(request, digits)
        except PinpadFormatError:
            return BAD_PARAMETER
        self.sent.append(apdu)
        code, response = line.transmit(apdu)
        if code != scard.SCARD_S_SUCCESS or len(response) < 2:
            return BAD_PARAMETER
        return response[-2:]

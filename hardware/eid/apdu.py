"""The eID card's files and commands as bytes: identifiers, size limits, PIN blocks, PIN pad.

Pure functions and tables (no PC/SC call): the session in `hardware.eid.reader` sends them.
"""

from __future__ import annotations

from smartcard import scard

from hardware.eid.errors import CardDataError, PinFormatError
from hardware.eid.verify import der_length

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


def wipe(buffer: bytearray) -> None:
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


def der_limit(head: bytes) -> int:
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


def tries_from_sw(sw: int) -> int | None:
    if sw & 0xFFF0 == 0x63C0:
        return sw & 0x0F
    if sw == 0x6983:
        return 0
    return None

"""ZVT wire codec: serial framing, CRC, APDUs, BMP fields and TLV containers.

Everything here is a pure function (or a small incremental parser with no I/O), so that the driver,
the terminal simulator and the property tests share one definition of the wire format.

Serial frame: ``DLE STX`` + APDU (every DLE doubled) + ``DLE ETX`` + CRC-16 (CCITT in its reflected
form, catalogued as CRC-16/KERMIT: polynomial 0x1021 reflected to 0x8408, initial value 0, input and
output reflected, no final XOR; computed over the unescaped APDU followed by ETX), low byte first. The receiver
answers every frame with a single transport byte: ACK (0x06) or NAK (0x15).

APDU: ``CLASS INSTR LEN DATA``; LEN is one byte, or ``FF`` followed by a two-byte little-endian length.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

log = logging.getLogger(__name__)

DLE = 0x10
STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

MAX_APDU_DATA = 0xFFFF


class CodecError(ValueError):
    """Bytes that are not a valid ZVT structure (wrong length, bad BCD, unknown BMP...)."""


# --------------------------------------------------------------------------------------------
# CRC and framing


_CRC_POLY_REFLECTED = 0x8408  # 0x1021 with its bits reversed


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC_POLY_REFLECTED if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/KERMIT (reflected CCITT, initial value 0, no final XOR): check value 0x2189."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def escape(apdu: bytes) -> bytes:
    return apdu.replace(bytes([DLE]), bytes([DLE, DLE]))


def encode_frame(apdu: bytes) -> bytes:
    crc = crc16(apdu + bytes([ETX]))
    return bytes([DLE, STX]) + escape(apdu) + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


def decode_frame(frame: bytes) -> bytes:
    """Decode one complete frame; raise `CodecError` on any framing or CRC fault."""
    decoder = FrameDecoder()
    events = decoder.feed(frame)
    if len(events) != 1 or decoder.pending:
        raise CodecError("not exactly one frame")
    event = events[0]
    if isinstance(event, FrameReceived):
        return event.apdu
    raise CodecError(f"not a valid frame: {event!r}")


class TransportByte(Enum):
    ACK = ACK
    NAK = NAK


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameReceived:
    apdu: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class BadFrame:
    """A frame was delimited but its CRC or escaping was wrong: answer NAK."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Transport:
    byte: TransportByte


@dataclass(frozen=True, slots=True, kw_only=True)
class Noise:
    data: bytes


LinkEvent = FrameReceived | BadFrame | Transport | Noise


class _State(Enum):
    IDLE = "idle"
    IDLE_DLE = "idle_dle"
    BODY = "body"
    BODY_DLE = "body_dle"
    CRC = "crc"


class FrameDecoder:
    """Incremental frame parser: feed arbitrary chunks, get link events back in order."""

    def __init__(self, *, max_apdu: int = MAX_APDU_DATA + 5) -> None:
        self._state = _State.IDLE
        self._body = bytearray()
        self._crc = bytearray()
        self._max = max_apdu

    @property
    def pending(self) -> bool:
        """True while a frame has started but is not complete."""
        return self._state not in (_State.IDLE, _State.IDLE_DLE)

    def reset(self) -> None:
        self._state = _State.IDLE
        self._body.clear()
        self._crc.clear()

    def feed(self, data: bytes) -> list[LinkEvent]:
        events: list[LinkEvent] = []
        for byte in data:
            event = self._step(byte)
            if event is not None:
                events.append(event)
        return events

    def _step(self, byte: int) -> LinkEvent | None:
        state = self._state
        if state is _State.IDLE:
            if byte == DLE:
                self._state = _State.IDLE_DLE
                return None
            if byte in (ACK, NAK):
                return Transport(byte=TransportByte(byte))
            return Noise(data=bytes([byte]))
        if state is _State.IDLE_DLE:
            if byte == STX:
                self._state = _State.BODY
                self._body.clear()
                return None
            self._state = _State.IDLE
            return Noise(data=bytes([DLE, byte]))
        if state is _State.BODY:
            if byte == DLE:
                self._state = _State.BODY_DLE
            else:
                self._body.append(byte)
            return self._check_size()
        if state is _State.BODY_DLE:
            if byte == DLE:
                self._body.append(DLE)
                self._state = _State.BODY
                return self._check_size()
            if byte == ETX:
                self._state = _State.CRC
                self._crc.clear()
                return None
            self.reset()
            return BadFrame(reason="bad escape")
        self._crc.append(byte)
        if len(self._crc) < 2:
            return None
        apdu = bytes(self._body)
        received = self._crc[0] | (self._crc[1] << 8)
        self.reset()
        if crc16(apdu + bytes([ETX])) != received:
            return BadFrame(reason="crc")
        return FrameReceived(apdu=apdu)

    def _check_size(self) -> LinkEvent | None:
        if len(self._body) > self._max:
            self.reset()
            return BadFrame(reason="too long")
        return None


# --------------------------------------------------------------------------------------------
# APDU


@dataclass(frozen=True, slots=True, kw_only=True)
class Apdu:
    cls: int
    instr: int
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return (self.cls, self.instr)


def encode_apdu(apdu: Apdu) -> bytes:
    size = len(apdu.data)
    if size > MAX_APDU_DATA:
        raise CodecError("APDU data too long")
    length = bytes([size]) if size < 0xFF else bytes([0xFF, size & 0xFF, size >> 8])
    return bytes([apdu.cls, apdu.instr]) + length + apdu.data


def apdu_size(prefix: bytes) -> int | None:
    """Total size of the APDU that starts `prefix`, or None while its header is incomplete.

    Over TCP the APDUs follow each other without framing: this length is the only delimiter.
    """
    if len(prefix) < 3:
        return None
    if prefix[2] != 0xFF:
        return 3 + prefix[2]
    if len(prefix) < 5:
        return None
    return 5 + (prefix[3] | (prefix[4] << 8))


def decode_apdu(raw: bytes) -> Apdu:
    if len(raw) < 3:
        raise CodecError("APDU shorter than its header")
    size, start = raw[2], 3
    if size == 0xFF:
        if len(raw) < 5:
            raise CodecError("truncated extended length")
        size, start = raw[3] | (raw[4] << 8), 5
    data = raw[start:]
    if len(data) != size:
        raise CodecError(f"APDU length {size} but {len(data)} data bytes")
    return Apdu(cls=raw[0], instr=raw[1], data=data)


# --------------------------------------------------------------------------------------------
# BCD


def encode_bcd(value: int, *, size: int) -> bytes:
    if value < 0:
        raise CodecError("negative BCD value")
    digits = f"{value:0{size * 2}d}"
    if len(digits) > size * 2:
        raise CodecError(f"{value} does not fit {size} BCD bytes")
    return bytes.fromhex(digits)


def decode_bcd(raw: bytes) -> int:
    digits = raw.hex()
    if not digits.isdigit():
        raise CodecError("not BCD")
    return int(digits) if digits else 0


def encode_var_length(size: int, digits: int) -> bytes:
    text = f"{size:0{digits}d}"
    if len(text) > digits:
        raise CodecError("variable field too long")
    return bytes(0xF0 | int(d) for d in text)


def decode_var_length(raw: bytes) -> int:
    if any(b & 0xF0 != 0xF0 or (b & 0x0F) > 9 for b in raw):
        raise CodecError("bad variable length")
    return int("".join(str(b & 0x0F) for b in raw))


# --------------------------------------------------------------------------------------------
# BMP fields

LLVAR = -2
LLLVAR = -3
TLV = -1

# Length of each BMP: a byte count, LLVAR/LLLVAR (Fx-coded length prefix) or TLV (BER length).
BMP_LENGTHS: dict[int, int] = {
    0x01: 1,  # time-out
    0x02: 1,  # max. status infos
    0x03: 1,  # service byte
    0x04: 6,  # amount, BCD
    0x05: 1,  # pump number
    0x06: TLV,  # TLV container
    0x0B: 3,  # trace number, BCD
    0x0C: 3,  # time HHMMSS, BCD
    0x0D: 2,  # date MMDD, BCD
    0x0E: 2,  # expiry date YYMM, BCD
    0x17: 2,  # card sequence number, BCD
    0x19: 1,  # payment type / status byte
    0x22: LLVAR,  # PAN / EF_ID, BCD with E-masked digits
    0x23: LLVAR,  # track 2
    0x24: LLLVAR,  # track 3
    0x27: 1,  # result code
    0x29: 4,  # terminal id, BCD
    0x2A: 15,  # VU number, ASCII
    0x2D: LLVAR,  # track 1
    0x2E: LLLVAR,  # sync chip data
    0x37: 3,  # trace number of the original transaction, BCD
    0x3A: 2,  # CVV
    0x3B: 8,  # authorisation attribute (AID), ASCII
    0x3C: LLLVAR,  # additional text
    0x3D: 3,  # password, BCD
    0x49: 2,  # currency code, BCD
    0x60: LLLVAR,  # individual totals
    0x87: 2,  # receipt number, BCD
    0x88: 3,  # turnover number, BCD
    0x8A: 1,  # card type
    0x8B: LLVAR,  # card name
    0x8C: 1,  # card type id of the network operator
    0x92: LLLVAR,  # additional data for ec-Cash with chip
    0x9A: LLLVAR,  # Geldkarte payment record
    0xA0: 1,  # result code AS
    0xA7: LLVAR,  # chip data
    0xAA: 3,  # date YYMMDD, BCD
    0xAF: LLLVAR,  # EF_Info
    0xBA: 5,  # AID parameter
    0xD0: 1,  # algorithm key
    0xD1: LLVAR,  # card offset/PIN data
    0xD2: 1,  # DUKPT key identifier
    0xD3: 1,  # DUKPT key derivation
}


UNPARSED = 0x100
"""Pseudo-tag of a `Bmp` that keeps, raw, everything from a tag whose length format is not declared."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Bmp:
    tag: int
    value: bytes


def encode_bmp(bmp: Bmp) -> bytes:
    if bmp.tag == UNPARSED:
        return bmp.value
    kind = BMP_LENGTHS.get(bmp.tag)
    if kind is None:
        raise CodecError(f"unknown BMP {bmp.tag:02X}")
    if kind == TLV:
        return bytes([bmp.tag]) + encode_ber_length(len(bmp.value)) + bmp.value
    if kind in (LLVAR, LLLVAR):
        return bytes([bmp.tag]) + encode_var_length(len(bmp.value), -kind) + bmp.value
    if len(bmp.value) != kind:
        raise CodecError(f"BMP {bmp.tag:02X} needs {kind} bytes")
    return bytes([bmp.tag]) + bmp.value


def encode_bmps(bmps: Iterable[Bmp]) -> bytes:
    return b"".join(encode_bmp(b) for b in bmps)


def decode_bmps(raw: bytes) -> tuple[Bmp, ...]:
    """Decode a BMP sequence; a tag of undeclared format ends it, the rest kept raw and logged.

    A field is only skipped by the length format the specification declares for it (fixed, LLVAR,
    LLLVAR, TLV): guessing the length of an undeclared tag could misread every field after it, so
    the rest stays raw under `UNPARSED` and the fields already read remain usable.
    """
    out: list[Bmp] = []
    pos = 0
    while pos < len(raw):
        tag = raw[pos]
        kind = BMP_LENGTHS.get(tag)
        if kind is None:
            log.warning("undeclared BMP kept raw", extra={"tag": f"{tag:02X}"})
            out.append(Bmp(tag=UNPARSED, value=raw[pos:]))
            break
        pos += 1
        if kind == TLV:
            size, pos = decode_ber_length(raw, pos)
        elif kind in (LLVAR, LLLVAR):
            end = pos - kind
            if end > len(raw):
                raise CodecError("truncated variable length")
            size, pos = decode_var_length(raw[pos:end]), end
        else:
            size = kind
        if pos + size > len(raw):
            raise CodecError(f"truncated BMP {tag:02X}")
        out.append(Bmp(tag=tag, value=raw[pos : pos + size]))
        pos += size
    return tuple(out)


def bmp_map(bmps: Iterable[Bmp]) -> dict[int, bytes]:
    """First value per tag."""
    found: dict[int, bytes] = {}
    for bmp in bmps:
        found.setdefault(bmp.tag, bmp.value)
    return found


# --------------------------------------------------------------------------------------------
# BER-TLV (inside BMP 06)


def encode_ber_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    if size <= 0xFF:
        return bytes([0x81, size])
    if size <= 0xFFFF:
        return bytes([0x82, size >> 8, size & 0xFF])
    raise CodecError("TLV too long")


def decode_ber_length(raw: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(raw):
        raise CodecError("missing TLV length")
    first = raw[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count not in (1, 2) or pos + 1 + count > len(raw):
        raise CodecError("bad TLV length")
    return int.from_bytes(raw[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


@dataclass(frozen=True, slots=True, kw_only=True)
class Tlv:
    tag: int
    value: bytes = b""
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        return bool(_tag_bytes(self.tag)[0] & 0x20)


def _tag_bytes(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_tlv(items: Iterable[Tlv]) -> bytes:
    out = bytearray()
    for item in items:
        value = encode_tlv(item.children) if item.constructed else item.value
        out += _tag_bytes(item.tag) + encode_ber_length(len(value)) + value
    return bytes(out)


def decode_tlv(raw: bytes) -> tuple[Tlv, ...]:
    return tuple(_iter_tlv(raw))


def _iter_tlv(raw: bytes) -> Iterator[Tlv]:
    pos = 0
    while pos < len(raw):
        start = pos
        pos += 1
        if raw[start] & 0x1F == 0x1F:  # multi-byte tag
            while pos < len(raw) and raw[pos] & 0x80:
                pos += 1
            pos += 1
            if pos > len(raw):
                raise CodecError("truncated TLV tag")
        tag = int.from_bytes(raw[start:pos], "big")
        size, pos = decode_ber_length(raw, pos)
        if pos + size > len(raw):
            raise CodecError("truncated TLV value")
        value = raw[pos : pos + size]
        pos += size
        if raw[start] & 0x20:
            yield Tlv(tag=tag, children=decode_tlv(value))
        else:
            yield Tlv(tag=tag, value=value)

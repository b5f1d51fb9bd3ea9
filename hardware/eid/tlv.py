"""The eID card's "simplified TLV" codec (identity and address files).

One-byte tag; the length is one byte below 255, otherwise a run of FF bytes each adding 255 followed
by a final byte (`FF 03` = 258). Tag 00 (file structure version) may only come first, so a 00 byte
found later is the start of the zero padding at the end of a fixed-size file. Zero-length values are
legal ("not applicable"); tag 14 means *true* by its mere presence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hardware.eid.errors import CardDataError


def encode_length(length: int) -> bytes:
    if length < 0:
        raise ValueError("negative TLV length")
    return b"\xff" * (length // 255) + bytes([length % 255])


def encode_tlv(fields: Iterable[tuple[int, bytes]]) -> bytes:
    """Encode (tag, value) pairs in the order given."""
    out = bytearray()
    for tag, value in fields:
        if not 0 <= tag <= 0xFF:
            raise ValueError("TLV tag out of range")
        out.append(tag)
        out += encode_length(len(value))
        out += value
    return bytes(out)


def parse_tlv(data: bytes) -> dict[int, bytes]:
    """Decode a TLV file into {tag: value}, ignoring trailing zero padding.

    Raises `CardDataError` when a length runs past the end or a tag appears twice (a card
    never repeats a tag; which of two values is meant cannot be decided, so neither is taken).
    """
    fields: dict[int, bytes] = {}
    pos = 0
    end = len(data)
    while pos < end:
        tag = data[pos]
        if tag == 0x00 and (pos > 0 or not any(data)):
            if any(data[pos:]):
                raise CardDataError("non-zero bytes after TLV padding")
            break
        pos += 1
        length = 0
        while True:
            if pos >= end:
                raise CardDataError("TLV length runs past the end of the file")
            byte = data[pos]
            pos += 1
            length += byte
            if byte != 0xFF:
                break
        if pos + length > end:
            raise CardDataError("TLV value runs past the end of the file")
        if tag in fields:
            raise CardDataError(f"TLV tag {tag:#04x} appears twice")
        fields[tag] = bytes(data[pos : pos + length])
        pos += length
    return fields


def text(fields: Mapping[int, bytes], tag: int) -> str:
    """A UTF-8 field as text ("" when absent or empty)."""
    raw = fields.get(tag, b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CardDataError(f"TLV tag {tag:#04x} is not valid UTF-8") from err


def strip_trailing_zeros(data: bytes) -> bytes:
    return data.rstrip(b"\x00")

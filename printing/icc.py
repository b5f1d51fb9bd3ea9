"""A small sRGB ICC profile, version 2.1, for the PDF/A output intent.

Pillow (LittleCMS) only writes version 4 profiles; PDF/A validators and older RIPs prefer a v2 one.
This module writes a matrix/TRC display profile (D50 PCS, Bradford-adapted sRGB primaries, a
1024-entry sRGB tone curve) byte for byte the same every time. The file is generated at build
time and shipped as `printing/assets/sRGB-v2.icc`; a test checks the two stay identical and that
LittleCMS reads the file as a valid v2 RGB profile.

    python -m printing.icc            # (re)writes printing/assets/sRGB-v2.icc
"""

from __future__ import annotations

import struct
from pathlib import Path

PROFILE_PATH = Path(__file__).with_name("assets") / "sRGB-v2.icc"
DESCRIPTION = "sRGB IEC61966-2.1 (Borne v2)"
COPYRIGHT = "No copyright, use freely"

_D50 = (0.9642, 1.0, 0.8249)
_PRIMARIES = {
    b"rXYZ": (0.4360747, 0.2225045, 0.0139322),
    b"gXYZ": (0.3850649, 0.7168786, 0.0971045),
    b"bXYZ": (0.1430804, 0.0606169, 0.7141733),
}
_CURVE_POINTS = 1024


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15f16(v) for v in values)


def _srgb_to_linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _curve() -> bytes:
    points = [round(_srgb_to_linear(i / (_CURVE_POINTS - 1)) * 65535) for i in range(_CURVE_POINTS)]
    return b"curv\0\0\0\0" + struct.pack(f">I{_CURVE_POINTS}H", _CURVE_POINTS, *points)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)  # no ScriptCode description
        + bytes(67)
    )


def _text(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def build_profile() -> bytes:
    curve = _curve()
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _desc(DESCRIPTION)),
        (b"cprt", _text(COPYRIGHT)),
        (b"wtpt", _xyz(_D50)),
        *((sig, _xyz(xyz)) for sig, xyz in _PRIMARIES.items()),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries: list[bytes] = []
    blobs: list[bytes] = []
    placed: dict[bytes, int] = {}
    for sig, data in tags:
        if data in placed:  # the three tone curves share one element
            entries.append(sig + struct.pack(">II", placed[data], len(data)))
            continue
        placed[data] = offset
        entries.append(sig + struct.pack(">II", offset, len(data)))
        padded = _pad(data)
        blobs.append(padded)
        offset += len(padded)
    body = struct.pack(">I", len(tags)) + b"".join(entries) + b"".join(blobs)
    size = 128 + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"  # preferred CMM: none
        + bytes([2, 0x10, 0, 0])  # version 2.1.0
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0\0\0\0"  # primary platform
        + b"\0\0\0\0"  # flags
        + b"\0\0\0\0"  # manufacturer
        + b"\0\0\0\0"  # model
        + bytes(8)  # attributes
        + struct.pack(">I", 0)  # perceptual
        + b"".join(_s15f16(v) for v in _D50)
        + b"\0\0\0\0"  # creator
        + bytes(16)  # profile ID (v4 only)
        + bytes(28)
    )
    assert len(header) == 128
    return header + body


def main() -> int:
    PROFILE_PATH.parent.mkdir(parents=True, exist_ok=True)
    PROFILE_PATH.write_bytes(build_profile())
    print(f"{PROFILE_PATH} written")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

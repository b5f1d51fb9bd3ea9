"""BMP 60, individual totals: what an end-of-day settled, per card group (pure codec)."""

from __future__ import annotations

from dataclasses import dataclass

from hardware.payment.zvt.codec import CodecError, decode_bcd, encode_bcd

# Card groups of BMP 60 (individual totals), in their order on the wire.
TOTALS_GROUPS = ("girocard", "JCB", "Eurocard", "Amex", "Visa", "Diners", "other")
_TOTALS_SIZE = 4 + 7 * len(TOTALS_GROUPS)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupTotal:
    group: str
    count: int
    amount_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IndividualTotals:
    """BMP 60 of the end-of-day status information: receipt range, then count and turnover per
    card group (PA00P015, BMP 60: receipt-no. start and end 2 BCD each; per group a 1-byte count
    and a 6-byte BCD amount)."""

    first_receipt: int
    last_receipt: int
    groups: tuple[GroupTotal, ...]


def encode_totals(totals: IndividualTotals) -> bytes:
    by_group = {g.group: g for g in totals.groups}
    raw = encode_bcd(totals.first_receipt, size=2) + encode_bcd(totals.last_receipt, size=2)
    for name in TOTALS_GROUPS:
        group = by_group.get(name, GroupTotal(group=name, count=0, amount_cents=0))
        if not 0 <= group.count <= 0xFF:
            raise CodecError("a group count is one byte")
        raw += bytes([group.count]) + encode_bcd(group.amount_cents, size=6)
    return raw


def decode_totals(raw: bytes) -> IndividualTotals:
    if len(raw) != _TOTALS_SIZE:
        raise CodecError(f"individual totals are {_TOTALS_SIZE} bytes, not {len(raw)}")
    groups = []
    for index, name in enumerate(TOTALS_GROUPS):
        at = 4 + 7 * index
        groups.append(
            GroupTotal(group=name, count=raw[at], amount_cents=decode_bcd(raw[at + 1 : at + 7]))
        )
    return IndividualTotals(
        first_receipt=decode_bcd(raw[0:2]), last_receipt=decode_bcd(raw[2:4]), groups=tuple(groups)
    )

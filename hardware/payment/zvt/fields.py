"""The fields of a ZVT payment result: amount, currency, masked PAN, and the 04 0F status information.

Pure functions only, shared by the ECR commands (`messages`) and the status information the
terminal sends. Unknown fields stay raw in the codec; a missing result code (BMP 27) reads as 00.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.payment.zvt.codec import (
    Apdu,
    Bmp,
    CodecError,
    bmp_map,
    decode_bcd,
    decode_bmps,
    encode_bcd,
    encode_bmps,
)
from hardware.payment.zvt.totals import IndividualTotals, decode_totals, encode_totals

_CARD_TYPES: dict[int, str] = {5: "girocard", 6: "Mastercard", 10: "Visa", 46: "Maestro"}


def amount_bmp(amount_cents: int) -> Bmp:
    return Bmp(tag=0x04, value=encode_bcd(amount_cents, size=6))


def currency_bmp(currency: int) -> Bmp:
    return Bmp(tag=0x49, value=encode_bcd(currency, size=2))


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusInformation:
    result_code: int
    amount_cents: int | None = None
    trace: int | None = None
    original_trace: int | None = None  # BMP 37: the reversed transaction's trace
    receipt_number: int | None = None
    turnover: int | None = None
    terminal_id: str = ""
    auth_code: str = ""
    masked_pan: str = ""
    card_type: int | None = None
    card_name: str = ""
    currency: int | None = None
    totals: IndividualTotals | None = None  # BMP 60, end-of-day

    @property
    def card_brand(self) -> str:
        if self.card_name:
            return self.card_name
        return _CARD_TYPES.get(self.card_type or -1, "")


def encode_masked_pan(pan: str) -> bytes:
    digits = pan.replace("*", "E").upper()
    if any(c not in "0123456789E" for c in digits):
        raise CodecError("PAN digits only")
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex(digits)


def decode_masked_pan(raw: bytes) -> str:
    """Decode BMP 22; every digit the terminal did not mask is masked here but the last four."""
    digits = raw.hex().upper().rstrip("F").replace("E", "*")
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def status_information(info: StatusInformation) -> Apdu:
    bmps = [Bmp(tag=0x27, value=bytes([info.result_code]))]
    if info.amount_cents is not None:
        bmps.append(amount_bmp(info.amount_cents))
    if info.trace is not None:
        bmps.append(Bmp(tag=0x0B, value=encode_bcd(info.trace, size=3)))
    if info.original_trace is not None:
        bmps.append(Bmp(tag=0x37, value=encode_bcd(info.original_trace, size=3)))
    if info.terminal_id:
        bmps.append(Bmp(tag=0x29, value=encode_bcd(int(info.terminal_id), size=4)))
    if info.auth_code:
        bmps.append(Bmp(tag=0x3B, value=info.auth_code.encode("ascii").ljust(8, b"\x00")[:8]))
    if info.masked_pan:
        bmps.append(Bmp(tag=0x22, value=encode_masked_pan(info.masked_pan)))
    if info.currency is not None:
        bmps.append(currency_bmp(info.currency))
    if info.receipt_number is not None:
        bmps.append(Bmp(tag=0x87, value=encode_bcd(info.receipt_number, size=2)))
    if info.turnover is not None:
        bmps.append(Bmp(tag=0x88, value=encode_bcd(info.turnover, size=3)))
    if info.card_type is not None:
        bmps.append(Bmp(tag=0x8A, value=bytes([info.card_type])))
    if info.card_name:
        bmps.append(Bmp(tag=0x8B, value=info.card_name.encode("ascii")))
    if info.totals is not None:
        bmps.append(Bmp(tag=0x60, value=encode_totals(info.totals)))
    return Apdu(cls=0x04, instr=0x0F, data=encode_bmps(bmps))


def _ascii(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()


def _bcd_opt(fields: dict[int, bytes], tag: int) -> int | None:
    return decode_bcd(fields[tag]) if tag in fields else None


def parse_status_information(apdu: Apdu) -> StatusInformation:
    fields = bmp_map(decode_bmps(apdu.data))
    return StatusInformation(
        result_code=fields.get(0x27, b"\x00")[0],
        amount_cents=_bcd_opt(fields, 0x04),
        trace=_bcd_opt(fields, 0x0B),
        original_trace=_bcd_opt(fields, 0x37),
        receipt_number=_bcd_opt(fields, 0x87),
        turnover=_bcd_opt(fields, 0x88),
        terminal_id=f"{decode_bcd(fields[0x29]):08d}" if 0x29 in fields else "",
        auth_code=_ascii(fields.get(0x3B, b"")),
        masked_pan=decode_masked_pan(fields[0x22]) if 0x22 in fields else "",
        card_type=fields[0x8A][0] if 0x8A in fields else None,
        card_name=_ascii(fields.get(0x8B, b"")),
        currency=_bcd_opt(fields, 0x49),
        totals=decode_totals(fields[0x60]) if fields.get(0x60) else None,
    )

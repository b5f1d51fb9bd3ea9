"""Typed ZVT messages on top of the codec: builders and parsers for both directions.

Pure functions only. The driver builds ECR commands and parses terminal messages; the simulator does
the reverse with the same functions. The result fields (amount, currency, masked PAN) and the
04 0F status information they make up are `fields`.

Where a terminal sends a field this module does not read, the codec keeps it raw (see
`codec.decode_bmps`); nothing here refuses an answer for carrying more than it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.payment.zvt.codec import (
    Apdu,
    Bmp,
    CodecError,
    Tlv,
    bmp_map,
    decode_bcd,
    decode_bmps,
    decode_tlv,
    decode_var_length,
    encode_bcd,
    encode_bmps,
    encode_tlv,
    encode_var_length,
)
from hardware.payment.zvt.fields import (
    StatusInformation,
    amount_bmp,
    currency_bmp,
    parse_status_information,
)
from hardware.payment.zvt.prompts import TerminalPrompt, prompt, prompt_key

CURRENCY_EUR = 978
TEXT_ENCODING = "cp437"

# Command identifiers (CLASS, INSTR)
REGISTRATION = (0x06, 0x00)
AUTHORISATION = (0x06, 0x01)
LOG_OFF = (0x06, 0x02)
COMPLETION = (0x06, 0x0F)
PT_ABORT = (0x06, 0x1E)
REPEAT_RECEIPT = (0x06, 0x20)
REVERSAL = (0x06, 0x30)
REFUND = (0x06, 0x31)
END_OF_DAY = (0x06, 0x50)
DIAGNOSIS = (0x06, 0x70)
INITIALISATION = (0x06, 0x93)
ECR_ABORT = (0x06, 0xB0)
PRINT_LINE = (0x06, 0xD1)
TEXT_BLOCK = (0x06, 0xD3)
STATUS_ENQUIRY = (0x05, 0x01)
STATUS_INFORMATION = (0x04, 0x0F)
INTERMEDIATE_STATUS = (0x04, 0xFF)
ACK_CLASS = 0x80
ERROR_CLASS = 0x84

# Result codes (BMP 27 / Abort 06 1E)
RESULT_SUCCESS = 0x00
RESULT_DECLINED = 0x05  # host: do not honour
RESULT_CARD_NOT_READABLE = 0x64
RESULT_ABORTED = 0x6C  # abort via time-out or abort key
RESULT_NOT_REGISTERED = 0x6B
RESULT_FUNCTION_NOT_POSSIBLE = 0x83
RESULT_PLEASE_WAIT = 0x9C
RESULT_RECEIVER_NOT_READY = 0xA0
RESULT_ALREADY_REVERSED = 0xB4
RESULT_REVERSAL_NOT_POSSIBLE = 0xB5
RESULT_SYSTEM_ERROR = 0xFF

BUSY_CODES = frozenset({RESULT_PLEASE_WAIT, RESULT_RECEIVER_NOT_READY})

# Terminal-status byte of the status-enquiry Completion.
TERMINAL_READY = 0x00
TERMINAL_INIT_REQUIRED = 0x51

# Receipt kind (TLV 1F07) of print lines and text blocks.
RECEIPT_MERCHANT = 0x01
RECEIPT_CUSTOMER = 0x02
RECEIPT_ADMINISTRATION = 0x03

# Intermediate status codes (04 FF): the catalogue and its translation keys are in `prompts`.
STATUS_INSERT_CARD = TerminalPrompt.INSERT_CARD
STATUS_ENTER_PIN = TerminalPrompt.WATCH_PIN_PAD
STATUS_PLEASE_WAIT = TerminalPrompt.PLEASE_WAIT
STATUS_REMOVE_CARD = TerminalPrompt.REMOVE_CARD


def status_key(code: int) -> str:
    return prompt_key(prompt(code))


def result_key(code: int) -> str:
    """Translation key for a terminal result code."""
    if code == RESULT_SUCCESS:
        return "payment.approved"
    if code == RESULT_ABORTED:
        return "payment.cancelled"
    if code in BUSY_CODES:
        return "payment.terminal_busy"
    if code == RESULT_ALREADY_REVERSED:
        return "payment.already_reversed"
    if code == RESULT_CARD_NOT_READABLE:
        return "payment.card_not_readable"
    if 1 <= code <= 0x63:
        return "payment.declined"
    return "payment.terminal_error"


# --------------------------------------------------------------------------------------------
# ECR → terminal


def password_bytes(password: str) -> bytes:
    if len(password) != 6 or not password.isdigit():
        raise CodecError("the terminal password is six digits")
    return bytes.fromhex(password)


def ack() -> Apdu:
    return Apdu(cls=ACK_CLASS, instr=0x00)


def error_reply(code: int) -> Apdu:
    return Apdu(cls=ERROR_CLASS, instr=code)


def registration(*, password: str, config_byte: int = 0xBE, currency: int = CURRENCY_EUR) -> Apdu:
    """06 00: password, config byte (who prints, ECR controls payment...), currency, service byte."""
    data = password_bytes(password) + bytes([config_byte]) + encode_bcd(currency, size=2)
    data += encode_bmps([Bmp(tag=0x03, value=b"\x00")])
    return Apdu(cls=0x06, instr=0x00, data=data)


def authorisation(*, amount_cents: int, currency: int) -> Apdu:
    """06 01: amount and currency only. The specification lists no ECR trace number (BMP 0B) here,
    so none is sent; an attempt is recognised afterwards by its receipt number (see `recovery`)."""
    return Apdu(
        cls=0x06, instr=0x01, data=encode_bmps([amount_bmp(amount_cents), currency_bmp(currency)])
    )


def reversal(*, password: str, receipt_number: int) -> Apdu:
    data = password_bytes(password) + encode_bmps(
        [Bmp(tag=0x87, value=encode_bcd(receipt_number, size=2))]
    )
    return Apdu(cls=0x06, instr=0x30, data=data)


def refund(*, password: str, amount_cents: int, currency: int) -> Apdu:
    data = password_bytes(password) + encode_bmps(
        [amount_bmp(amount_cents), currency_bmp(currency)]
    )
    return Apdu(cls=0x06, instr=0x31, data=data)


def password_command(command: tuple[int, int], *, password: str) -> Apdu:
    """Status enquiry, end-of-day, repeat receipt: the password and nothing else."""
    return Apdu(cls=command[0], instr=command[1], data=password_bytes(password))


def ecr_abort() -> Apdu:
    return Apdu(cls=0x06, instr=0xB0)


def log_off() -> Apdu:
    return Apdu(cls=0x06, instr=0x02)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcrCommand:
    """A command as the terminal sees it."""

    command: tuple[int, int]
    password: str | None = None
    amount_cents: int | None = None
    currency: int | None = None
    ecr_trace: int | None = None
    receipt_number: int | None = None
    config_byte: int | None = None
    service_byte: int | None = None


_PASSWORD_COMMANDS = frozenset(
    {
        REGISTRATION,
        REVERSAL,
        REFUND,
        END_OF_DAY,
        REPEAT_RECEIPT,
        STATUS_ENQUIRY,
        DIAGNOSIS,
        INITIALISATION,
    }
)


def parse_ecr_command(apdu: Apdu) -> EcrCommand:
    data = apdu.data
    password: str | None = None
    if apdu.command in _PASSWORD_COMMANDS:
        if len(data) < 3:
            raise CodecError("missing password")
        password, data = data[:3].hex(), data[3:]
    if apdu.command == REGISTRATION:
        config = data[0] if data else None
        rest = data[3:] if len(data) >= 3 else b""  # config byte, currency code (2 bytes)
        service = bmp_map(decode_bmps(rest)).get(0x03, b"") if rest else b""
        return EcrCommand(
            command=REGISTRATION,
            password=password,
            config_byte=config,
            service_byte=service[0] if service else None,
        )
    fields = bmp_map(decode_bmps(data)) if data else {}
    return EcrCommand(
        command=apdu.command,
        password=password,
        service_byte=fields[0x03][0] if 0x03 in fields else None,
        amount_cents=decode_bcd(fields[0x04]) if 0x04 in fields else None,
        currency=decode_bcd(fields[0x49]) if 0x49 in fields else None,
        ecr_trace=decode_bcd(fields[0x0B]) if 0x0B in fields else None,
        receipt_number=decode_bcd(fields[0x87]) if 0x87 in fields else None,
    )


# --------------------------------------------------------------------------------------------
# Terminal → ECR


def intermediate_status(code: int) -> Apdu:
    return Apdu(cls=0x04, instr=0xFF, data=bytes([code]))


def _receipt_tlv(receipt: int | None) -> list[Tlv]:
    return [] if receipt is None else [Tlv(tag=0x1F07, value=bytes([receipt]))]


def print_line(text: str, *, attribute: int = 0x00, receipt: int | None = None) -> Apdu:
    data = bytes([attribute]) + text.encode(TEXT_ENCODING)
    if receipt is not None:
        data += encode_bmps([Bmp(tag=0x06, value=encode_tlv(_receipt_tlv(receipt)))])
    return Apdu(cls=0x06, instr=0xD1, data=data)


def text_block(lines: list[str], *, receipt: int | None = None) -> Apdu:
    container = Tlv(
        tag=0x25, children=tuple(Tlv(tag=0x07, value=x.encode(TEXT_ENCODING)) for x in lines)
    )
    tlv = encode_tlv([*_receipt_tlv(receipt), container])
    return Apdu(cls=0x06, instr=0xD3, data=encode_bmps([Bmp(tag=0x06, value=tlv)]))


def _receipt_kind(items: tuple[Tlv, ...]) -> int | None:
    for item in items:
        if item.tag == 0x1F07 and len(item.value) == 1:
            return item.value[0]
    return None


def parse_text_block(apdu: Apdu) -> PrintText:
    lines: list[str] = []
    receipt: int | None = None
    for bmp in decode_bmps(apdu.data):
        if bmp.tag != 0x06:
            continue
        items = decode_tlv(bmp.value)
        receipt = _receipt_kind(items) if receipt is None else receipt
        for item in items:
            for child in item.children:
                if child.tag == 0x07:
                    lines.append(child.value.decode(TEXT_ENCODING))
    return PrintText(lines=tuple(lines), receipt=receipt)


def parse_print_line(apdu: Apdu) -> PrintText:
    """06 D1: attribute byte, text, and optionally a trailing TLV container (BMP 06, e.g. 1F07)."""
    if not apdu.data:
        return PrintText(lines=("",))
    body = apdu.data[1:]
    receipt: int | None = None
    for pos in range(len(body) - 1):
        if body[pos] != 0x06 or pos + 2 + body[pos + 1] != len(body) or body[pos + 1] >= 0x80:
            continue
        try:
            items = decode_tlv(body[pos + 2 :])
        except CodecError:
            continue
        receipt, body = _receipt_kind(items), body[:pos]
        break
    return PrintText(lines=(body.decode(TEXT_ENCODING),), receipt=receipt)


def completion(*, terminal_id: str = "") -> Apdu:
    """06 0F closing any command but status enquiry: optional [19] [29] [49] [06], no result code."""
    bmps = []
    if terminal_id:
        bmps.append(Bmp(tag=0x29, value=encode_bcd(int(terminal_id), size=4)))
    return Apdu(cls=0x06, instr=0x0F, data=encode_bmps(bmps))


def status_completion(
    *, software_version: str | None, terminal_status: int, terminal_id: str = ""
) -> Apdu:
    """06 0F closing a status enquiry: untagged LLLVAR software version (absent when service byte
    02 asked for none), the terminal-status byte, then optional [29] [06]."""
    data = b""
    if software_version is not None:
        version = software_version.encode("ascii")
        data += encode_var_length(len(version), 3) + version
    data += bytes([terminal_status])
    if terminal_id:
        data += encode_bmps([Bmp(tag=0x29, value=encode_bcd(int(terminal_id), size=4))])
    return Apdu(cls=0x06, instr=0x0F, data=data)


def _is_var_length(raw: bytes) -> bool:
    return len(raw) == 3 and all(0xF0 <= b <= 0xF9 for b in raw)


def parse_completion(data: bytes, *, status_enquiry: bool = False) -> Completion:
    """Read both Completion forms; `status_enquiry` says the command was 05 01."""
    version: str | None = None
    status: int | None = None
    if status_enquiry and data:
        if _is_var_length(data[:3]):
            size = decode_var_length(data[:3])
            if len(data) < 3 + size:
                raise CodecError("truncated software version")
            version = data[3 : 3 + size].decode("ascii", errors="replace").strip()
            data = data[3 + size :]
        if data:
            status, data = data[0], data[1:]
    fields = bmp_map(decode_bmps(data)) if data else {}
    return Completion(
        result_code=fields.get(0x27, b"\x00")[0],
        software_version=version,
        terminal_status=status,
        terminal_id=f"{decode_bcd(fields[0x29]):08d}" if 0x29 in fields else "",
        status_byte=fields[0x19][0] if 0x19 in fields else None,
    )


def pt_abort(result_code: int) -> Apdu:
    return Apdu(cls=0x06, instr=0x1E, data=bytes([result_code]))


@dataclass(frozen=True, slots=True, kw_only=True)
class IntermediateStatus:
    code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintText:
    lines: tuple[str, ...]
    receipt: int | None = None  # TLV 1F07: merchant, customer or administration receipt


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """06 0F. `software_version` / `terminal_status` only come with a status enquiry."""

    result_code: int = RESULT_SUCCESS
    software_version: str | None = None
    terminal_status: int | None = None
    terminal_id: str = ""
    status_byte: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalAbort:
    result_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Positive:
    """80 00 00: the command was accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReply:
    """84 xx: the command was refused; xx is a result code."""

    code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Other:
    apdu: Apdu


TerminalMessage = (
    IntermediateStatus
    | StatusInformation
    | PrintText
    | Completion
    | TerminalAbort
    | Positive
    | ErrorReply
    | Other
)


def parse_terminal_message(apdu: Apdu, *, status_enquiry: bool = False) -> TerminalMessage:
    """Parse a terminal message; `status_enquiry` selects the Completion form that answers 05 01."""
    if apdu.cls == ACK_CLASS:
        return Positive()
    if apdu.cls == ERROR_CLASS:
        return ErrorReply(code=apdu.instr)
    command = apdu.command
    if command == INTERMEDIATE_STATUS:
        return IntermediateStatus(code=apdu.data[0] if apdu.data else 0xFF)
    if command == STATUS_INFORMATION:
        return parse_status_information(apdu)
    if command == PRINT_LINE:
        return parse_print_line(apdu)
    if command == TEXT_BLOCK:
        return parse_text_block(apdu)
    if command == COMPLETION:
        return parse_completion(apdu.data, status_enquiry=status_enquiry)
    if command == PT_ABORT:
        return TerminalAbort(result_code=apdu.data[0] if apdu.data else RESULT_SYSTEM_ERROR)
    return Other(apdu=apdu)

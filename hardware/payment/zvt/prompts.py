"""ZVT intermediate status (04 FF): the terminal's prompt codes as an enum, and what the resident is
shown for each (a translation key).

The codes and their meaning are the specification's intermediate-status table (PA00P015 § 10,
"intermediate status"). Codes 0x41..0x5D are 0x01..0x1D with "please remove card!" added; the
kiosk shows "remove card" for them, since that is what the resident must do first.
"""

from __future__ import annotations

from enum import IntEnum


class TerminalPrompt(IntEnum):
    WAITING_FOR_AMOUNT_CONFIRMATION = 0x00
    WATCH_PIN_PAD = 0x01
    WATCH_PIN_PAD_2 = 0x02
    NOT_ACCEPTED = 0x03
    WAITING_FOR_HOST = 0x04  # "PT is waiting for response from FEP"
    SENDING_AUTO_REVERSAL = 0x05
    SENDING_POST_BOOKINGS = 0x06
    CARD_NOT_ADMITTED = 0x07
    CARD_UNKNOWN = 0x08
    EXPIRED_CARD = 0x09
    INSERT_CARD = 0x0A
    REMOVE_CARD = 0x0B
    CARD_NOT_READABLE = 0x0C
    PROCESSING_ERROR = 0x0D
    PLEASE_WAIT = 0x0E
    AUTOMATIC_END_OF_DAY = 0x0F
    INVALID_CARD = 0x10
    BALANCE_DISPLAY = 0x11
    SYSTEM_MALFUNCTION = 0x12
    PAYMENT_NOT_POSSIBLE = 0x13
    CREDIT_NOT_SUFFICIENT = 0x14
    INCORRECT_PIN = 0x15
    LIMIT_NOT_SUFFICIENT = 0x16
    PLEASE_WAIT_2 = 0x17
    PIN_TRY_LIMIT_EXCEEDED = 0x18
    CARD_DATA_INCORRECT = 0x19
    SERVICE_MODE = 0x1A
    APPROVED_FILL_UP = 0x1B
    APPROVED_TAKE_GOODS = 0x1C
    DECLINED = 0x1D
    WAITING_FOR_MOBILE_NUMBER = 0x26
    WAITING_FOR_MOBILE_NUMBER_REPEAT = 0x27
    CURRENCY_SELECTION = 0x28
    LANGUAGE_SELECTION = 0x29
    INSERT_CARD_FOR_LOADING = 0x2A
    EMERGENCY_TRANSACTION = 0x2B
    APPLICATION_SELECTION = 0x2C
    CARD_INSERTION_DETECTED = 0x68
    SELECT_DCC = 0x69
    WAITING_FOR_MILEAGE = 0xC7
    WAITING_FOR_CASHIER = 0xC8
    AUTOMATIC_DIAGNOSIS = 0xC9
    AUTOMATIC_INITIALISATION = 0xCA
    MERCHANT_JOURNAL_FULL = 0xCB
    DEBIT_ADVICE_NOT_POSSIBLE = 0xCC
    CONNECTING_DIAL_UP = 0xD2
    DIAL_UP_CONNECTED = 0xD3
    WAITING_FOR_APPLICATION_SELECTION = 0xE0
    WAITING_FOR_LANGUAGE_SELECTION = 0xE1
    CLEANING_CARD_REQUESTED = 0xE2
    OFFLINE = 0xF1
    ONLINE = 0xF2
    OFFLINE_TRANSACTION = 0xF3
    OTHER = 0xFF  # "no appropriate ZVT status code matches": text in TLV tags 24 / 07
    # 0x41..0x5D: the prompt of (code - 0x40) plus "please remove card!"
    REMOVE_CARD_AFTER = 0x100  # pseudo-code for any 0x41..0x5D / 0x66 / 0x67
    UNLISTED = 0x101  # a code the table does not list


_REMOVE_CARD_RANGE = range(0x41, 0x5E)
_REMOVE_CARD_EXTRA = frozenset({0x66, 0x67})


def prompt(code: int) -> TerminalPrompt:
    """The prompt of an intermediate-status byte (never raises: an unlisted code is `UNLISTED`)."""
    if code in _REMOVE_CARD_RANGE or code in _REMOVE_CARD_EXTRA:
        return TerminalPrompt.REMOVE_CARD_AFTER
    try:
        return TerminalPrompt(code)
    except ValueError:
        return TerminalPrompt.UNLISTED


P = TerminalPrompt
PROCESSING = "payment.status.processing"
_KEYS: dict[TerminalPrompt, str] = {
    P.WAITING_FOR_AMOUNT_CONFIRMATION: "payment.status.confirm_amount",
    P.WATCH_PIN_PAD: "payment.status.enter_pin",
    P.WATCH_PIN_PAD_2: "payment.status.enter_pin",
    P.NOT_ACCEPTED: "payment.status.card_not_accepted",
    P.CARD_NOT_ADMITTED: "payment.status.card_not_accepted",
    P.CARD_UNKNOWN: "payment.status.card_not_accepted",
    P.INVALID_CARD: "payment.status.card_not_accepted",
    P.CARD_DATA_INCORRECT: "payment.status.card_not_accepted",
    P.EXPIRED_CARD: "payment.status.card_expired",
    P.INSERT_CARD: "payment.status.insert_card",
    P.INSERT_CARD_FOR_LOADING: "payment.status.insert_card",
    P.REMOVE_CARD: "payment.status.remove_card",
    P.REMOVE_CARD_AFTER: "payment.status.remove_card",
    P.CARD_NOT_READABLE: "payment.status.card_not_readable",
    P.INCORRECT_PIN: "payment.status.wrong_pin",
    P.PIN_TRY_LIMIT_EXCEEDED: "payment.status.pin_blocked",
    P.CREDIT_NOT_SUFFICIENT: "payment.status.insufficient_funds",
    P.LIMIT_NOT_SUFFICIENT: "payment.status.insufficient_funds",
    P.PAYMENT_NOT_POSSIBLE: "payment.status.payment_not_possible",
    P.SYSTEM_MALFUNCTION: "payment.status.payment_not_possible",
    P.PROCESSING_ERROR: "payment.status.payment_not_possible",
    P.APPROVED_FILL_UP: "payment.status.approved",
    P.APPROVED_TAKE_GOODS: "payment.status.approved",
    P.DECLINED: "payment.status.declined",
    P.LANGUAGE_SELECTION: "payment.status.follow_terminal",
    P.CURRENCY_SELECTION: "payment.status.follow_terminal",
    P.APPLICATION_SELECTION: "payment.status.follow_terminal",
    P.WAITING_FOR_APPLICATION_SELECTION: "payment.status.follow_terminal",
    P.WAITING_FOR_LANGUAGE_SELECTION: "payment.status.follow_terminal",
    P.SELECT_DCC: "payment.status.follow_terminal",
    P.CARD_INSERTION_DETECTED: PROCESSING,
}

PROMPT_KEYS = frozenset({PROCESSING, *_KEYS.values()})
"""Every key a prompt can map to (each must exist in the four languages)."""


def prompt_key(value: TerminalPrompt) -> str:
    """What the resident is shown; the terminal's own work (host, wait...) is "processing"."""
    return _KEYS.get(value, PROCESSING)

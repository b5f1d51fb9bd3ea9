"""Command line for the payment terminal: pay, status, abort, reverse, refund, end-of-day.

A payment goes through the same journal as the kiosk's (`--journal`), so an unresolved payment
blocks the next one here as it does there. Exit status: 0 done, 1 declined or cancelled,
2 error (terminal unreachable, bad argument), 3 outcome unknown.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from hardware.errors import BorneError
from hardware.payment.journal import PaymentJournal
from hardware.payment.model import (
    Approved,
    Cancelled,
    Declined,
    EndOfDay,
    PaymentOutcome,
    Unknown,
)
from hardware.payment.service import PaymentService
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts

DEFAULT_JOURNAL = Path("var/data/payments.sqlite")
MAX_AMOUNT_CENTS = 999_999_999_999  # the ZVT amount field: 12 BCD digits

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_ERROR = 2
EXIT_UNKNOWN = 3


def _amount(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of cents: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the amount must be at least 1 cent")
    if value > MAX_AMOUNT_CENTS:
        raise argparse.ArgumentTypeError(f"the amount must be at most {MAX_AMOUNT_CENTS} cents")
    return value


def _receipt(text: str) -> str:
    if not text.isdigit() or not 1 <= len(text) <= 4:
        raise argparse.ArgumentTypeError(f"a receipt number is 1 to 4 digits: {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hardware.payment")
    parser.add_argument(
        "--port", required=True, help="serial port, pyserial URL, or tcp://host:port (ZVT over TCP)"
    )
    parser.add_argument("--baudrate", type=int, default=9600)
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--journal",
        type=Path,
        default=DEFAULT_JOURNAL,
        help=f"payment journal shared with the kiosk (default {DEFAULT_JOURNAL})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    pay = sub.add_parser("pay")
    pay.add_argument("--amount-cents", type=_amount, required=True)
    pay.add_argument("--reference", default="")
    pay.add_argument("--json", action="store_true", dest="json_sub")
    for name in ("status", "abort", "end-of-day", "repeat-receipt", "register"):
        sub.add_parser(name).add_argument("--json", action="store_true", dest="json_sub")
    reverse = sub.add_parser("reverse")
    reverse.add_argument("--receipt", type=_receipt, required=True)
    reverse.add_argument("--json", action="store_true", dest="json_sub")
    refund = sub.add_parser("refund")
    refund.add_argument("--amount-cents", type=_amount, required=True)
    refund.add_argument("--json", action="store_true", dest="json_sub")
    return parser


def _to_json(value: object) -> dict[str, Any]:
    if isinstance(value, EndOfDay):
        return {"type": "EndOfDay", **asdict(value), "count": value.count}
    if is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **asdict(value)}
    return {"type": type(value).__name__, "value": value}


def _run(terminal: ZvtTerminal, args: argparse.Namespace) -> object:
    command: str = args.command
    if command == "pay":
        return _pay(terminal, args)
    if command == "status":
        return terminal.status_enquiry()
    if command == "abort":
        terminal.send_abort()
        return {"type": "AbortSent"}
    if command == "reverse":
        return _noted(terminal.reverse(receipt_number=args.receipt), args)
    if command == "refund":
        return _noted(terminal.refund(amount_cents=args.amount_cents), args)
    if command == "end-of-day":
        return terminal.end_of_day()
    if command == "register":
        terminal.register()
        return {"type": "Registered"}
    return {"type": "ReceiptCopy", "receipt_lines": list(terminal.repeat_receipt())}


def _noted(outcome: PaymentOutcome, args: argparse.Namespace) -> PaymentOutcome:
    """The kiosk's journal learns the receipt number a service command used on the terminal:
    recovery compares the terminal's last receipt with the newest one the journal knows."""
    path: Path = args.journal
    if isinstance(outcome, Approved) and outcome.receipt_number and path.exists():
        journal = PaymentJournal(path)
        try:
            journal.note_receipt(outcome.receipt_number)
        finally:
            journal.close()
    return outcome


def _pay(terminal: ZvtTerminal, args: argparse.Namespace) -> object:
    """Journal first, as the kiosk does; an approved charge is final (nothing to deliver)."""
    path: Path = args.journal
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = PaymentJournal(path)
    try:
        service = PaymentService(terminal=terminal, journal=journal)
        service.recover()
        reference = args.reference or f"cli-{uuid.uuid4().hex}"
        outcome = service.pay(
            amount_cents=args.amount_cents,
            reference=reference,
            on_status=lambda key: print(key, file=sys.stderr),
        )
        if isinstance(outcome, Approved):
            service.mark_delivering(reference)
            service.mark_completed(reference)
        return outcome
    finally:
        journal.close()


def _exit_status(result: object) -> int:
    """Non-zero, with one line on stderr, when the money did not (or may not) move."""
    if isinstance(result, Declined | Cancelled):
        print(f"refused: {result.reason} (reference {result.reference})", file=sys.stderr)
        return EXIT_REFUSED
    if isinstance(result, Unknown):
        print(
            f"outcome unknown: {result.reason} (reference {result.reference}); see the journal",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    as_json = bool(args.json or getattr(args, "json_sub", False))
    terminal = ZvtTerminal(
        args.port,
        baudrate=args.baudrate,
        timeouts=ZvtTimeouts().scaled(args.timeout_scale),
    )
    try:
        result = _run(terminal, args)
    except BorneError as err:
        error = {"type": "Error", "error": type(err).__name__, "key": err.translation_key}
        print(json.dumps(error) if as_json else f"error: {err.translation_key} ({err})")
        return EXIT_ERROR
    finally:
        terminal.close()
    payload = result if isinstance(result, dict) else _to_json(result)
    if as_json:
        print(json.dumps(payload))
    else:
        for key, value in payload.items():
            print(f"{key}: {value}")
    return _exit_status(result)

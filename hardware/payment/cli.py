"""Command line for the payment terminal: pay, status, abort, reverse, refund, end-of-day."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import asdict, is_dataclass
from typing import Any

from hardware.errors import BorneError
from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hardware.payment")
    parser.add_argument(
        "--port", required=True, help="serial port, pyserial URL, or tcp://host:port (ZVT over TCP)"
    )
    parser.add_argument("--baudrate", type=int, default=9600)
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    sub = parser.add_subparsers(dest="command", required=True)
    pay = sub.add_parser("pay")
    pay.add_argument("--amount-cents", type=int, required=True)
    pay.add_argument("--reference", default="")
    pay.add_argument("--json", action="store_true", dest="json_sub")
    for name in ("status", "abort", "end-of-day", "repeat-receipt", "register"):
        sub.add_parser(name).add_argument("--json", action="store_true", dest="json_sub")
    reverse = sub.add_parser("reverse")
    reverse.add_argument("--receipt", required=True)
    reverse.add_argument("--json", action="store_true", dest="json_sub")
    refund = sub.add_parser("refund")
    refund.add_argument("--amount-cents", type=int, required=True)
    refund.add_argument("--json", action="store_true", dest="json_sub")
    return parser


def _to_json(value: object) -> dict[str, Any]:
    if is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **asdict(value)}
    return {"type": type(value).__name__, "value": value}


def _run(terminal: ZvtTerminal, args: argparse.Namespace) -> object:
    command: str = args.command
    if command == "pay":
        reference = args.reference or f"cli-{uuid.uuid4().hex}"
        return terminal.pay(
            amount_cents=args.amount_cents,
            reference=reference,
            on_status=lambda key: print(key, file=sys.stderr),
        )
    if command == "status":
        return terminal.status_enquiry()
    if command == "abort":
        terminal.send_abort()
        return {"type": "AbortSent"}
    if command == "reverse":
        return terminal.reverse(receipt_number=args.receipt)
    if command == "refund":
        return terminal.refund(amount_cents=args.amount_cents)
    if command == "end-of-day":
        return terminal.end_of_day()
    if command == "register":
        terminal.register()
        return {"type": "Registered"}
    return {"type": "ReceiptCopy", "receipt_lines": list(terminal.repeat_receipt())}


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
        return 2
    finally:
        terminal.close()
    payload = result if isinstance(result, dict) else _to_json(result)
    if as_json:
        print(json.dumps(payload))
    else:
        for key, value in payload.items():
            print(f"{key}: {value}")
    return 0

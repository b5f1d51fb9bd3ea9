"""Command line: `python -m hardware.eid read --json` and `python -m hardware.eid verify-pin`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from hardware.eid.errors import EidError
from hardware.eid.reader import EidReader
from hardware.eid.verify import TrustStore
from hardware.errors import DeviceUnavailable


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _reader(args: argparse.Namespace) -> EidReader:
    trust = TrustStore.with_test_root(args.test_root) if args.test_root else TrustStore.production()
    reader = EidReader(reader_prefix=args.reader_prefix, trust=trust)
    deadline = time.monotonic() + args.wait
    while not reader.card_present():
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return reader


def _read(args: argparse.Namespace) -> int:
    with _reader(args).open_session() as session:
        result = session.read(strict=False)
    failures = [check.name for check in result.report.failures]
    if args.json:
        document = {
            "identity": _jsonable(asdict(result.identity)),
            "address": _jsonable(asdict(result.address)),
            "card_data": {
                "serial": result.card_data.serial.hex(),
                "applet_version": f"{result.card_data.applet_version:02x}",
                "pin_tries_left": result.card_data.pin_tries_left,
            },
            "atr": result.atr.hex(),
            "checks": [asdict(check) for check in result.report.checks],
            "verified": result.report.ok,
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        identity = result.identity
        print(f"{identity.first_names} {identity.surname} ({identity.masked_national_number})")
        for check in result.report.checks:
            print(f"  {check.name:20} {'ok' if check.ok else 'FAILED ' + check.detail}")
    if failures:
        print(f"verification failed: {', '.join(failures)}", file=sys.stderr)
        return 2
    return 0


def _verify_pin(args: argparse.Namespace) -> int:
    with _reader(args).open_session() as session:
        print(f"tries left: {session.pin_tries_left()}")
        pin = bytearray(getpass.getpass("PIN: ").encode())
        check = session.verify_pin(pin)
    print(f"{check.status.value} (tries left: {check.tries_left})")
    return 0 if check.accepted else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.eid")
    parser.add_argument("--reader-prefix", default="")
    parser.add_argument("--test-root", type=Path, help="add a TEST root (demo/test only)")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a card")
    commands = parser.add_subparsers(dest="command", required=True)
    read = commands.add_parser("read", help="read and verify identity and address")
    read.add_argument("--json", action="store_true")
    commands.add_parser("verify-pin", help="check the PIN (asked without echo)")
    # Accept the global options after the sub-command too.
    for sub in (read, commands.choices["verify-pin"]):
        sub.add_argument("--reader-prefix", default=argparse.SUPPRESS)
        sub.add_argument("--test-root", type=Path, default=argparse.SUPPRESS)
        sub.add_argument("--wait", type=float, default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return _read(args) if args.command == "read" else _verify_pin(args)
    except (EidError, DeviceUnavailable) as err:
        print(f"error: {err.translation_key}: {err}", file=sys.stderr)
        return 1

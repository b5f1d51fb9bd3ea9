"""`python -m hardware.simulators.eid --persona NAME [--fault SPEC]... [--control SOCK]`.

The virtual card connects to vpcd (35963 + slot) and stays inserted until SIGTERM. Faults (see
`--help`) apply from the start; the control socket (Unix stream, one line per connection, one JSON
line back) changes them live and plays the resident's hand:

    fault SPEC...     e.g. ``fault remove-after=5`` or ``fault none``
    insert | remove   put the card in, pull it out
    swap PERSONA      pull the card out and insert another persona's
    status            persona, link state, faults, APDUs since the last change
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict
from pathlib import Path

from hardware.simulators.cli import (
    ControlSocket,
    add_control_argument,
    print_ready,
    stop_on_signals,
)
from hardware.simulators.eid.persona import UnknownPersona, list_personas
from hardware.simulators.eid.pki import default_pki_dir
from hardware.simulators.eid.vicc import FAULT_SYNTAX, VPCD_BASE_PORT, VirtualCard, parse_faults


def _status(card: VirtualCard) -> dict[str, object]:
    return {
        "ok": True,
        "persona": card.persona,
        "state": card.state.value,
        "port": card.port,
        "faults": asdict(card.faults),
        "apdus": card.apdu_count,
    }


def answer(card: VirtualCard, line: str) -> dict[str, object]:
    """One control command (see the module docstring) → its JSON answer."""
    words = line.split()
    if not words:
        return {"ok": False, "error": "empty command"}
    command, arguments = words[0], words[1:]
    try:
        if command == "fault" and arguments:
            card.apply_faults(arguments)
        elif command == "insert" and not arguments:
            card.insert(wait=5.0)
        elif command == "remove" and not arguments:
            card.remove()
        elif command == "swap" and len(arguments) == 1:
            card.swap(arguments[0])
        elif command != "status" or arguments:
            return {"ok": False, "error": f"unknown command {line.strip()!r}"}
    except (ValueError, UnknownPersona) as err:
        return {"ok": False, "error": str(err)}
    return _status(card)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.simulators.eid",
        description="A virtual Belgian eID card (TEST data) in a vpcd reader slot.",
        epilog=FAULT_SYNTAX
        + "\n\ncontrol socket commands (one line each): fault SPEC..., insert, remove, "
        "swap PERSONA, status",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--persona", help="persona name (see --list)")
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="vpcd port (default 35963 + slot)")
    parser.add_argument("--pki", type=Path, default=None, help="test PKI directory")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="inject a fault (see below)"
    )
    add_control_argument(parser)
    parser.add_argument("--list", action="store_true", help="list the personas and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        for info in list_personas():
            print(
                f"{info.name:10} {info.card_kind}  {info.card_language}  "
                f"{info.display_name}: {info.exercises}"
            )
        return 0
    if not args.persona:
        parser.error("--persona is required (or --list)")
    try:
        faults = parse_faults(args.fault)
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    port = args.port if args.port is not None else VPCD_BASE_PORT + args.slot
    stop = stop_on_signals()
    card = VirtualCard(
        args.persona,
        host=args.host,
        port=port,
        pki_dir=args.pki or default_pki_dir(),
        faults=faults,
    )
    control = ControlSocket(
        args.control, lambda line: answer(card, line), name="eid-sim-control", reply_timeout=5.0
    )
    with control:
        card.insert(wait=None)
        print_ready(
            {
                "persona": args.persona,
                "host": args.host,
                "port": port,
                "control": None if args.control is None else str(args.control),
                "faults": asdict(faults),
            }
        )
        try:
            stop.wait()
        finally:
            card.close()
    return 0

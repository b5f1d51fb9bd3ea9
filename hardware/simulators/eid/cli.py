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
import contextlib
import json
import logging
import signal
import socket
import threading
from dataclasses import asdict
from pathlib import Path
from types import FrameType

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


def _control_loop(server: socket.socket, card: VirtualCard, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(5.0)
            try:
                line = conn.makefile("r", encoding="utf-8").readline()
                conn.sendall((json.dumps(answer(card, line)) + "\n").encode())
            except OSError:
                continue


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
    parser.add_argument("--control", type=Path, help="Unix socket for live control")
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
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    card = VirtualCard(
        args.persona,
        host=args.host,
        port=port,
        pki_dir=args.pki or default_pki_dir(),
        faults=faults,
    )
    server: socket.socket | None = None
    if args.control:
        with contextlib.suppress(FileNotFoundError):
            args.control.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(args.control))
        server.listen(4)
        threading.Thread(
            target=_control_loop, args=(server, card, stop), name="eid-sim-control", daemon=True
        ).start()
    card.insert(wait=None)
    ready = {
        "persona": args.persona,
        "host": args.host,
        "port": port,
        "control": None if args.control is None else str(args.control),
        "faults": asdict(faults),
    }
    print(json.dumps(ready), flush=True)
    try:
        stop.wait()
    finally:
        card.close()
        if server is not None:
            server.close()
            with contextlib.suppress(FileNotFoundError):
                args.control.unlink()
    return 0

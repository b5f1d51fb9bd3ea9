"""`python -m hardware.simulators.eid --persona NAME [--slot N] [--port P] [--pki DIR] [--list]`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from hardware.simulators.eid.persona import list_personas
from hardware.simulators.eid.pki import default_pki_dir
from hardware.simulators.eid.vicc import VPCD_BASE_PORT, VirtualCard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.simulators.eid",
        description="A virtual Belgian eID card (TEST data) in a vpcd reader slot.",
    )
    parser.add_argument("--persona", help="persona name (see --list)")
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="vpcd port (default 35963 + slot)")
    parser.add_argument("--pki", type=Path, default=None, help="test PKI directory")
    parser.add_argument("--list", action="store_true", help="list the personas and exit")
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    port = args.port if args.port is not None else VPCD_BASE_PORT + args.slot
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    card = VirtualCard(
        args.persona, host=args.host, port=port, pki_dir=args.pki or default_pki_dir()
    )
    card.insert(wait=None)
    print(f"virtual eID '{args.persona}' on {args.host}:{port}; SIGTERM to remove", flush=True)
    stop.wait()
    card.close()
    return 0

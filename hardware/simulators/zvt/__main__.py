"""Run the ZVT terminal simulator until SIGTERM.

    python -m hardware.simulators.zvt (--link PATH | --tcp-port N) [--scenario NAME] [--journal FILE]
        [--control SOCK] [--baudrate N]

`--tcp-port` listens on 127.0.0.1 (0 picks a free port) and speaks ZVT over TCP (bare APDUs);
`--baudrate` paces the serial output at the 8N2 character time.

Prints one JSON line when ready. The control socket (Unix stream) takes one line per connection:
``scenario NAME``, ``queue NAME [NAME...]``, ``restart`` or ``status``; it answers one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

from hardware.simulators.zvt.faults import Scenario, SimTiming
from hardware.simulators.zvt.simulator import TerminalSimulator


def _answer(sim: TerminalSimulator, line: str) -> dict[str, object]:
    words = line.split()
    if not words:
        return {"ok": False, "error": "empty"}
    try:
        if words[0] == "scenario" and len(words) == 2:
            sim.set_scenario(words[1])
        elif words[0] == "queue" and len(words) > 1:
            sim.queue_scenarios(*words[1:])
        elif words[0] == "restart":
            sim.restart()
        elif words[0] != "status":
            return {"ok": False, "error": f"unknown command {words[0]}"}
    except ValueError as err:
        return {"ok": False, "error": str(err)}
    return {"ok": True, "scenario": sim.scenario.value, "link": sim.address}


def _control_loop(server: socket.socket, sim: TerminalSimulator, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(2.0)
            try:
                line = conn.makefile("r", encoding="utf-8").readline()
                conn.sendall((json.dumps(_answer(sim, line)) + "\n").encode())
            except OSError:
                continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.simulators.zvt")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--link")
    where.add_argument("--tcp-port", type=int)
    parser.add_argument("--baudrate", type=int, default=0, help="8N2 pacing; 0 = none")
    parser.add_argument(
        "--scenario", default=Scenario.APPROVE.value, choices=[s.value for s in Scenario]
    )
    parser.add_argument("--journal", default=None)
    parser.add_argument("--control", default=None, help="Unix socket path for live control")
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim = TerminalSimulator(
        link_path=args.link,
        tcp_port=args.tcp_port,
        journal_path=args.journal,
        scenario=args.scenario,
        timing=SimTiming(baudrate=args.baudrate).scaled(args.time_scale),
    )
    sim.start()
    server: socket.socket | None = None
    if args.control:
        control = Path(args.control)
        with contextlib.suppress(FileNotFoundError):
            control.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(control))
        server.listen(4)
        threading.Thread(
            target=_control_loop, args=(server, sim, stop), name="zvt-sim-control", daemon=True
        ).start()
    ready = {"link": sim.address, "scenario": sim.scenario.value, "control": args.control}
    print(json.dumps(ready), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
        if server is not None:
            server.close()
            with contextlib.suppress(FileNotFoundError):
                Path(args.control).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

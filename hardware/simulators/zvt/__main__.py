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
import sys

from hardware.simulators.cli import (
    ControlSocket,
    add_control_argument,
    print_ready,
    stop_on_signals,
)
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
    add_control_argument(parser)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args(argv)

    stop = stop_on_signals()
    sim = TerminalSimulator(
        link_path=args.link,
        tcp_port=args.tcp_port,
        journal_path=args.journal,
        scenario=args.scenario,
        timing=SimTiming(baudrate=args.baudrate).scaled(args.time_scale),
    )
    sim.start()
    control = ControlSocket(
        args.control, lambda line: _answer(sim, line), name="zvt-sim-control", reply_timeout=2.0
    )
    with control:
        print_ready(
            {
                "link": sim.address,
                "scenario": sim.scenario.value,
                "control": None if args.control is None else str(args.control),
            }
        )
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

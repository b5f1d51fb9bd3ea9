"""Command line of the kiosk: run it, demo it, start the simulated hardware, check a machine.

    python -m kiosk --version
    python -m kiosk demo [--autoplay] [--persona NAME] [--documents LIST] [--sessions N] [--audio]
                         [--pinpad] [--email ADDRESS]
    python -m kiosk run                      # the kiosk on the configured (real) devices, locked down
    python -m kiosk run --autoplay           # scripted residents headless (demo/test configuration)
    python -m kiosk sim up [--persona NAME]  # simulated stack in the background, one JSON line
    python -m kiosk sim down
    python -m kiosk selftest                 # config, devices, signer, printer, central
    python -m kiosk screenshots --out DIR    # every screen x language x mode x size to PNG
    python -m kiosk staff-hash < code        # the config value for a one-time maintenance code
    python -m kiosk setup [--var DIR]        # test PKI and SoftHSM2 token for demo and tests

Exit codes: 0 success, 1 a journey or check failed, 2 bad configuration or usage, 3 a component
(daemon, device) could not be started.
"""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from kiosk import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_COMPONENT = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Borne self-service kiosk")
    parser.add_argument("--version", action="version", version=f"borne {__version__}")
    parser.add_argument(
        "--config", type=Path, help="kiosk.toml (default: $BORNE_CONFIG or ./kiosk.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the kiosk on simulated hardware")
    demo.add_argument("--autoplay", action="store_true", help="play scripted residents headless")
    demo.add_argument("--persona", default="marie", help="virtual eID persona")
    demo.add_argument("--documents", default="household", help="comma-separated document types")
    demo.add_argument("--document-language", default=None, help="fr, nl or de")
    demo.add_argument("--sessions", type=int, default=1, help="number of journeys to play")
    demo.add_argument(
        "--audio", action="store_true", help="autoplay: each resident turns the audio mode on"
    )
    demo.add_argument(
        "--pinpad",
        action="store_true",
        help="the eID reader has a pinpad (simulated): the PIN is typed on it, not on the screen",
    )
    demo.add_argument(
        "--email",
        default="",
        help="autoplay: each resident has the sealed PDFs e-mailed there too (kept in var/run/mail)",
    )

    run = sub.add_parser("run", help="run the kiosk on the configured devices")
    run.add_argument(
        "--autoplay",
        action="store_true",
        help="scripted residents headless (not in production; BORNE_AUTOPLAY_PIN, BORNE_AUTOPLAY_HAND)",
    )
    run.add_argument("--documents", default="household", help="comma-separated document types")
    run.add_argument("--sessions", type=int, default=1, help="number of journeys to play")

    sim = sub.add_parser("sim", help="simulated hardware stack")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    up = sim_sub.add_parser("up", help="start the stack in the background")
    up.add_argument("--persona", default="marie")
    sim_sub.add_parser("down", help="stop the stack started by 'sim up'")
    serve = sim_sub.add_parser("serve", help=argparse.SUPPRESS)
    serve.add_argument("--persona", default="marie")

    sub.add_parser("selftest", help="check configuration, devices, signer, printer and central")
    shots = sub.add_parser(
        "screenshots", help="every screen, language, mode and size to PNG with contact sheets"
    )
    shots.add_argument("--out", type=Path, required=True)
    sub.add_parser(
        "staff-hash", help="read a maintenance code on stdin, print staff.maintenance_code_hash"
    )

    setup = sub.add_parser("setup", help="create the test PKI and the SoftHSM2 seal token")
    setup.add_argument("--var", type=Path, default=Path("var"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from kiosk.cli import StopRequested, stop_on_signals  # noqa: PLC0415
    from kiosk.config_reader import ConfigError  # noqa: PLC0415 - keep --version instant

    try:
        if args.command in ("run", "demo"):
            # a crash in Qt or a driver leaves every thread's Python stack in the journal, and
            # SIGUSR1 (`systemctl kill --kill-whom=main -s USR1 borne-kiosk`) shows where a
            # frozen kiosk waits, without stopping it
            faulthandler.enable(file=sys.stderr, all_threads=True)
            faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
            with stop_on_signals():
                return _dispatch(args)
        return _dispatch(args)
    except StopRequested:
        return EXIT_OK
    except ConfigError as err:
        print(f"kiosk: configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG


def _dispatch(args: argparse.Namespace) -> int:
    # Each command imports what it needs, so `--version` and `sim down` stay light.
    from kiosk import cli as commands  # noqa: PLC0415

    if args.command == "run":
        return commands.run(
            config_path=args.config,
            autoplay=args.autoplay,
            documents=tuple(d for d in args.documents.split(",") if d),
            sessions=args.sessions,
        )
    if args.command == "screenshots":
        return commands.screenshots(config_path=args.config, out=args.out)
    if args.command == "staff-hash":
        return commands.staff_hash()
    if args.command == "selftest":
        from kiosk.config import load_config  # noqa: PLC0415

        config = load_config(args.config)
        if config.mode.value == "production":
            return commands.selftest(config_path=args.config)
    try:
        from kiosk import demo  # noqa: PLC0415 - the development stack, demo mode only
    except ImportError as err:
        if args.command == "selftest":  # a build without it: the product's checks, as configured
            return commands.selftest(config_path=args.config)
        print(f"kiosk: {args.command}: no development stack in this build ({err})", file=sys.stderr)
        return EXIT_CONFIG
    return _dispatch_demo(args, demo)


def _dispatch_demo(args: argparse.Namespace, demo: ModuleType) -> int:
    if args.command == "selftest":
        return int(demo.selftest(config_path=args.config))
    if args.command == "setup":
        return int(demo.setup(var_dir=args.var))
    if args.command == "sim":
        if args.sim_command == "up":
            return int(demo.sim_up(config_path=args.config, persona=args.persona))
        if args.sim_command == "down":
            return int(demo.sim_down(config_path=args.config))
        return int(demo.sim_serve(config_path=args.config, persona=args.persona))
    return int(
        demo.demo(
            config_path=args.config,
            autoplay=args.autoplay,
            persona=args.persona,
            documents=tuple(d for d in args.documents.split(",") if d),
            document_language=args.document_language,
            sessions=args.sessions,
            audio=args.audio,
            pinpad=args.pinpad,
            email=args.email,
        )
    )


if __name__ == "__main__":
    sys.exit(main())

"""What each `python -m kiosk` command does (argument parsing lives in `kiosk.__main__`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from kiosk.config import KioskConfig, load_config
from kiosk.logs import configure_logging
from kiosk.staff_auth import hash_code
from kiosk.storage import PRIVATE_UMASK

if TYPE_CHECKING:
    from printing.token import TokenConfig

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_COMPONENT = 3


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _config(path: Path | None) -> KioskConfig:
    return load_config(path)


def _logging(config: KioskConfig, *, console: bool) -> None:
    configure_logging(
        directory=config.logging.directory,
        level=config.logging.level,
        console=console and config.logging.console,
    )


# -- stopping -----------------------------------------------------------------------------------
class StopRequested(BaseException):
    """SIGTERM/SIGINT outside the Qt main loop: unwinds through every `finally` (daemons stop)."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    # once: a second signal must not interrupt the clean-up the first one started
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, signal.SIG_IGN)
    log.info("stop_signal_received", extra={"signal": signal.Signals(signum).name})
    raise StopRequested(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT end the command cleanly; the Qt main loop takes them over while it runs
    (`ui.stop_signals`), and the command then returns normally."""
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- the kiosk ----------------------------------------------------------------------------------
def autoplay_summary(run: dict[str, Any], *, spool: Path, sessions: int) -> dict[str, Any]:
    """One JSON object for the whole run: per-journey details, and the first journey flattened."""
    journeys: list[dict[str, Any]] = []
    for report in run["reports"]:
        journeys.append(
            {
                "outcome": report["outcome"],
                "documents": report["documents"],
                "document_ids": report["document_ids"],
                "printed_pdfs": report["pdf_paths"],
                "sealed_pdfs": [str(spool / f"{i}.pdf") for i in report["document_ids"]],
                "payment": {
                    "status": report["payment_status"],
                    "amount_cents": report["amount_cents"],
                    "receipt_number": report["receipt_number"],
                    "reversal": report["reversal_status"],
                },
                "steps_ms": report["steps_ms"],
                "total_ms": report["total_ms"],
                "error": report["error_key"],
            }
        )
    completed = sum(1 for j in journeys if j["outcome"] == "completed")
    outcome = "completed" if completed == sessions and run["finished"] else "failed"
    first = journeys[0] if journeys else {}
    return {
        **first,
        "outcome": outcome,
        "sessions": sessions,
        "completed": completed,
        "max_event_loop_stall_ms": run["max_stall_ms"],
        "journeys": journeys if sessions > 1 else [],
    }


AUTOPLAY_PIN_ENV = "BORNE_AUTOPLAY_PIN"
AUTOPLAY_HAND_ENV = "BORNE_AUTOPLAY_HAND"
HAND_TIMEOUT_S = 60.0


class CardHand:
    """The resident's hand for `kiosk run --autoplay`: whoever holds the card listens on a Unix
    stream socket; one request line per connection (`insert` or `remove`), one line back (`ok`).

    This lets a build without the development stack (the production bundle) play a scripted
    resident on a machine where another program moves the card (a smoke test, a training stand).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _ask(self, request: str) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(HAND_TIMEOUT_S)
            sock.connect(str(self.path))
            sock.sendall(f"{request}\n".encode())
            reply = sock.makefile("r", encoding="utf-8").readline().strip()
        if reply != "ok":
            msg = f"the card hand answered {reply!r} to {request!r}"
            raise RuntimeError(msg)

    def insert(self) -> None:
        self._ask("insert")

    def remove(self) -> None:
        self._ask("remove")


def run(
    *,
    config_path: Path | None,
    autoplay: bool = False,
    documents: tuple[str, ...] = ("household",),
    sessions: int = 1,
) -> int:
    """The kiosk on the configured devices, locked down full screen; with `autoplay`, scripted
    residents headless instead (not in production), the PIN and the card hand from the
    environment (`BORNE_AUTOPLAY_PIN`, `BORNE_AUTOPLAY_HAND`), one JSON line at the end."""
    from kiosk import app  # noqa: PLC0415

    config = _config(config_path)
    if autoplay:
        pin, hand = os.environ.get(AUTOPLAY_PIN_ENV), os.environ.get(AUTOPLAY_HAND_ENV)
        if config.mode.value == "production" or not pin or not hand:
            sys.stderr.write(
                f"kiosk: run --autoplay needs a demo or test configuration, {AUTOPLAY_PIN_ENV} "
                f"and {AUTOPLAY_HAND_ENV}\n"
            )
            return EXIT_CONFIG
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.umask(PRIVATE_UMASK)  # records, logs and keys are the kiosk user's alone
    _logging(config, console=not autoplay)
    kiosk = app.build(config, token=app.token_config(config))
    try:
        kiosk.ready()
        if not autoplay:
            return app.run_interactive(kiosk, fullscreen=True, locked=True)
        card = CardHand(Path(hand or ""))
        played = app.run_autoplay(
            kiosk,
            language=config.default_language,
            pin=pin or "",
            documents=documents,
            document_language=config.document_languages[0],
            sessions=sessions,
            insert_card=card.insert,
            remove_card=card.remove,
        )
    finally:
        kiosk.stop()
    summary = autoplay_summary(played, spool=config.var_dir / "spool", sessions=sessions)
    _emit(summary)
    return EXIT_OK if summary["outcome"] == "completed" else EXIT_FAILED


# -- selftest ---------------------------------------------------------------------------------
def screenshots(*, config_path: Path | None, out: Path) -> int:
    """Render the screens headless to PNG (demo values only) and print what was written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.app import render_screenshots  # noqa: PLC0415 - loads Qt only for this command

    written = render_screenshots(_config(config_path), out=out)
    _emit({"out": str(out), "images": len(written)})
    return 0


def staff_hash() -> int:
    """Hash the maintenance code read from stdin (one line) for `staff.maintenance_code_hash`."""
    code = sys.stdin.readline().strip()
    if len(code) < 6:
        print("a maintenance code of at least 6 characters is expected on stdin", file=sys.stderr)
        return 2
    print(hash_code(code))
    return 0


DemoStack = Callable[[KioskConfig], tuple[KioskConfig, "TokenConfig | None", object | None]]
"""Points a demo configuration at a running simulated stack: (config, token, endpoints or None)."""


def selftest(*, config_path: Path | None, demo_stack: DemoStack | None = None) -> int:
    """Check each part a kiosk needs and print one JSON line per check, then a summary line.

    The product's checks only; in demo mode the composition root (`kiosk.demo`) passes
    `demo_stack` to point the configuration at a running simulated stack first.
    """
    from kiosk import app  # noqa: PLC0415

    config = _config(config_path)
    endpoints: object | None = None
    if demo_stack is not None:
        config, token, endpoints = demo_stack(config)
    elif config.signing.pin is not None:
        token = app.token_config(config)
    else:
        token = None

    def check_signer(_: KioskConfig) -> str:
        if token is None and endpoints is not None:
            msg = "the simulated stack seals with an in-process demo key: no token to check"
            raise RuntimeError(msg)
        if token is None:
            msg = "the seal token's PIN is not known (set BORNE_SEAL_PIN)"
            raise RuntimeError(msg)
        return _check_signer(token)

    checks: list[tuple[str, Callable[[KioskConfig], str]]] = [
        ("card_reader", _check_reader),
        ("payment_terminal", _check_payment),
        ("signer", check_signer),
        ("printer", _check_printer),
        ("central", _check_central),
    ]
    _emit({"check": "config", "ok": True, "detail": str(config.source)})
    failed = 0
    for name, check in checks:
        try:
            detail = check(config)
            ok = True
        except Exception as err:  # noqa: BLE001 - every failure is reported, none stops the others
            detail, ok = (
                f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                False,
            )
            failed += 1
        _emit({"check": name, "ok": ok, "detail": detail})
    _emit({"selftest": "passed" if failed == 0 else "failed", "failed": failed})
    return EXIT_OK if failed == 0 else EXIT_FAILED


def _check_reader(config: KioskConfig) -> str:
    from hardware.eid import EidReader, TrustStore  # noqa: PLC0415

    reader = EidReader(reader_prefix=config.eid.reader_prefix, trust=TrustStore.production())
    return reader.find_reader()


def _check_payment(config: KioskConfig) -> str:
    from hardware.payment.zvt.driver import ZvtTerminal, ZvtTimeouts  # noqa: PLC0415

    terminal = ZvtTerminal(
        config.payment.port,
        baudrate=config.payment.baudrate,
        timeouts=ZvtTimeouts().scaled(min(config.payment.timeout_scale, 0.2)),
    )
    try:
        status = terminal.status_enquiry()
    finally:
        terminal.close()
    return str(status)


def _check_signer(token: TokenConfig) -> str:
    from printing.pkcs11_signer import Pkcs11SealSigner  # noqa: PLC0415

    health = Pkcs11SealSigner.shared(token).health()
    if not health.ok:
        msg = f"token present={health.token_present} logged in={health.logged_in} days left={health.days_left}"
        raise RuntimeError(msg)
    return f"{health.certificate_subject}, {health.days_left} days left"


def _check_printer(config: KioskConfig) -> str:
    from printing.printer import CupsPrinter  # noqa: PLC0415

    status = CupsPrinter(queue=config.printing.queue, server=config.printing.server).status()
    if not status.can_print:
        msg = f"printer state {status.state.value}"
        raise RuntimeError(msg)
    return status.state.value


def _check_central(config: KioskConfig) -> str:
    import requests  # noqa: PLC0415

    ca = config.central.ca_file
    response = requests.get(
        f"{config.central.url.rstrip('/')}/healthz",
        timeout=config.central.timeout_s,
        verify=str(ca) if ca is not None else True,  # the pinned CA, as the sync client does
    )
    response.raise_for_status()
    return f"{config.central.url} answers {response.status_code}"

"""The demo's wiring: the one place the kiosk chooses development-stack parts (`devstack`).

Only the demo-mode commands come here (`setup`, `sim up/down/serve`, `demo`, and the demo side of
`selftest`); the production commands in `kiosk.cli` never import `devstack`, and the production
bundle leaves it out (a bundle without it answers these commands with a clear message).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import devstack  # noqa: F401 - a build without the development stack fails here, early
from devstack.fallbacks import (
    SimStartError,
    describe_fallbacks,
    missing_programs,
    require_real_stack,
)
from kiosk.cli import (
    EXIT_COMPONENT,
    EXIT_FAILED,
    EXIT_OK,
    _config,
    _emit,
    _logging,
    autoplay_summary,
)
from kiosk.config import KioskConfig
from kiosk.storage import PRIVATE_UMASK

if TYPE_CHECKING:
    from devstack.sim import SimEndpoints, SimStack
    from printing.token import TokenConfig


# -- setup ------------------------------------------------------------------------------------
def setup(*, var_dir: Path) -> int:
    """The test PKI and the seal token; without SoftHSM2 (and unless the real stack is required)
    only the PKI, whose TEST seal key the demo's software seal then uses."""
    from devstack import sim  # noqa: PLC0415

    missing = "softhsm2" in missing_programs()
    if missing and not require_real_stack():
        card, municipal = sim.prepare_pki(var_dir.resolve())
        sys.stderr.write(
            "kiosk: softhsm2 not installed: no seal token, the demo seals with a demo-only "
            "software key; run `make setup` for the real stack\n"
        )
        _emit(
            {
                "card_test_roots": str(card.test_roots_pem),
                "municipal_root": str(municipal.root_cert_path),
                "softhsm_conf": None,
                "token_label": None,
                "fallbacks": ["softhsm2"],
            }
        )
        return EXIT_OK
    card_roots, municipal_root, token = sim.prepare_credentials(var_dir.resolve())
    _emit(
        {
            "card_test_roots": str(card_roots),
            "municipal_root": str(municipal_root),
            "softhsm_conf": str(token.conf_path),
            "token_label": token.token_label,
        }
    )
    return EXIT_OK


# -- simulated stack --------------------------------------------------------------------------
def sim_up(*, config_path: Path | None, persona: str) -> int:
    from devstack import sim_process  # noqa: PLC0415

    config = _config(config_path)
    try:
        endpoints = sim_process.up(var_dir=config.var_dir, persona=persona, config=config_path)
    except SimStartError as err:
        sys.stderr.write(f"kiosk: {err}\n")
        return EXIT_COMPONENT
    _announce(describe_fallbacks(endpoints.fallbacks))
    if endpoints.fallbacks:
        sys.stderr.write(
            "kiosk: in-process parts serve only the `sim serve` process, not other programs\n"
        )
    _emit(json.loads(endpoints.to_json()))
    return EXIT_OK


def _announce(announcements: list[str]) -> None:
    """Each in-process fallback on stderr (`SimStack.start` has logged them already)."""
    for text in announcements:
        sys.stderr.write(f"kiosk: {text}\n")


def sim_down(*, config_path: Path | None) -> int:
    from devstack import sim_process  # noqa: PLC0415

    stopped = sim_process.down(var_dir=_config(config_path).var_dir)
    _emit({"stopped": stopped})
    return EXIT_OK


def sim_serve(*, config_path: Path | None, persona: str) -> int:
    from devstack import sim_process  # noqa: PLC0415

    config = _config(config_path)
    _logging(config, console=True)
    return sim_process.serve(var_dir=config.var_dir, persona=persona, kiosk_id=config.kiosk_id)


# -- the demo ---------------------------------------------------------------------------------
def _with_endpoints(config: KioskConfig, endpoints: Any) -> KioskConfig:
    """The configuration pointed at the simulated stack's parts."""
    from devstack.kiosk_token import kiosk_token_pin  # noqa: PLC0415

    return dataclasses.replace(
        config,
        eid=dataclasses.replace(
            config.eid,
            reader_prefix=endpoints.reader_prefix,
            test_roots=Path(endpoints.card_test_roots),
        ),
        payment=dataclasses.replace(config.payment, port=endpoints.payment_port),
        printing=dataclasses.replace(
            config.printing,
            queue=endpoints.printer,
            server=endpoints.cups_server,
            output_dir=Path(endpoints.print_output),
        ),
        kiosk_id=endpoints.kiosk_id or config.kiosk_id,
        central=dataclasses.replace(
            config.central,
            url=endpoints.central_url,
            ca_file=Path(endpoints.central_ca) if endpoints.central_ca else config.central.ca_file,
            key_file=Path(endpoints.kiosk_key) if endpoints.kiosk_key else None,
            key_token=endpoints.kiosk_key_token or None,
            key_pin=kiosk_token_pin(Path(endpoints.softhsm_conf).parent)
            if endpoints.kiosk_key_token
            else None,
            token="",
        ),
        signing=dataclasses.replace(
            config.signing,
            softhsm_conf=Path(endpoints.softhsm_conf),
            trust_root=Path(endpoints.municipal_root),
        ),
    )


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _production(config: KioskConfig) -> bool:
    """The demo refuses a production configuration (said on stderr)."""
    if config.mode.value != "production":
        return False
    sys.stderr.write(
        "kiosk: the demo runs on simulated hardware; this configuration is production\n"
    )
    return True


def demo(
    *,
    config_path: Path | None,
    autoplay: bool,
    persona: str,
    documents: tuple[str, ...],
    document_language: str | None,
    sessions: int,
    audio: bool = False,
    pinpad: bool = False,
    email: str = "",
) -> int:
    """`pinpad`: autoplay types the PIN on a simulated pinpad; `email`: and has the PDFs mailed."""
    from devstack import sim, sim_process  # noqa: PLC0415

    config = _config(config_path)
    if _production(config):
        return EXIT_FAILED
    if not autoplay and not _has_display():
        sys.stderr.write(
            "kiosk: no display here, playing a scripted resident headless (--autoplay)\n"
        )
        autoplay = True
    _logging(config, console=not autoplay)
    if autoplay and sim_process.running(config.var_dir) is not None:
        sys.stderr.write(
            "kiosk: a simulated stack from `kiosk sim up` is running; stop it with `kiosk sim down`\n"
        )
        return EXIT_COMPONENT
    stack = sim.SimStack(
        var_dir=config.var_dir,
        persona=persona,
        card_inserted=not autoplay,
        kiosk_id=config.kiosk_id,
        pinpad=pinpad,
    )
    endpoints = _start(stack)
    if endpoints is None:
        return EXIT_COMPONENT
    os.umask(PRIVATE_UMASK)  # the simulators are started: from here on files are the kiosk's alone
    _announce([f.announcement for f in stack.fallbacks])
    try:
        config = _with_endpoints(config, endpoints)
        run = _play(
            config,
            stack,
            endpoints,
            autoplay=autoplay,
            documents=documents,
            document_language=document_language,
            sessions=sessions,
            audio=audio,
            email=email,
        )
    finally:
        stack.stop()
    if run is None:
        return EXIT_OK
    return _report(run, config=config, endpoints=endpoints, sessions=sessions)


def _start(stack: SimStack) -> SimEndpoints | None:
    """The simulated stack started (None: a part did not start, said on stderr)."""
    try:
        return stack.start()
    except SimStartError as err:
        sys.stderr.write(f"kiosk: {err}\n")
        return None


def _report(
    run: dict[str, object], *, config: KioskConfig, endpoints: SimEndpoints, sessions: int
) -> int:
    """The scripted resident's summary on stdout; the exit code says whether every session ended."""
    summary = autoplay_summary(run, spool=config.var_dir / "spool", sessions=sessions)
    summary["fallbacks"] = list(endpoints.fallbacks)
    if run.get("stopped_by"):
        summary["outcome"] = "stopped"
        summary["stopped_by"] = run["stopped_by"]
    _emit(summary)
    return EXIT_OK if summary["outcome"] in ("completed", "stopped") else EXIT_FAILED


def _play(
    config: KioskConfig,
    stack: SimStack,
    endpoints: SimEndpoints,
    *,
    autoplay: bool,
    documents: tuple[str, ...],
    document_language: str | None,
    sessions: int,
    audio: bool,
    email: str = "",
) -> dict[str, object] | None:
    """The kiosk on the started stack: on screen (None) or the scripted resident's run."""
    from kiosk import app  # noqa: PLC0415

    kiosk = app.build(
        config,
        token=stack.token,
        print_output=Path(endpoints.print_output),
        keep_issued=True,
        sealer_factory=stack.sealer_factory(location=config.commune.name),
        document_printer=stack.folder_printer,
    )
    try:
        kiosk.ready()
        if not autoplay:
            app.run_interactive(kiosk, fullscreen=False)
            return None
        return app.run_autoplay(
            kiosk,
            language=config.default_language,
            pin=stack.pin,
            documents=documents,
            document_language=document_language or config.document_languages[0],
            sessions=sessions,
            insert_card=stack.insert_card,
            remove_card=stack.remove_card,
            audio=audio,
            type_on_reader=stack.type_on_reader if stack.pinpad is not None else None,
            email=email,
        )
    finally:
        kiosk.stop()


def selftest_stack(config: KioskConfig) -> tuple[KioskConfig, TokenConfig | None, object | None]:
    """Point `config` at the simulated stack of `kiosk sim up`, when one runs (demo mode only)."""
    from devstack import sim, sim_process  # noqa: PLC0415
    from kiosk import app  # noqa: PLC0415

    endpoints = sim_process.running(config.var_dir) if config.mode.trusts_test_roots else None
    if endpoints is not None and "softhsm2" in endpoints.fallbacks:
        return (
            _with_endpoints(config, endpoints),
            None,
            endpoints,
        )  # the software seal is in-process
    if endpoints is not None:
        config = _with_endpoints(config, endpoints)
        return config, sim.prepare_credentials(config.var_dir)[2], endpoints
    token = app.token_config(config) if config.signing.pin is not None else None
    return config, token, None


def selftest(*, config_path: Path | None) -> int:
    """`kiosk selftest` in demo mode: the product's checks, on the running simulated stack if any."""
    from kiosk import cli  # noqa: PLC0415

    return cli.selftest(config_path=config_path, demo_stack=selftest_stack)

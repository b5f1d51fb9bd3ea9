"""The composition root: the one place that wires drivers, services and the UI together.

Every device gets its own `DeviceRunner` thread (card reader, payment terminal, signer, printer,
sync client). Before the first resident is served, unfinished payments are resolved, the seal key
is loaded and the outbox is opened; a part that cannot be readied is reported with its reason.
A seal token that cannot seal, or a payment left for staff, does not stop the kiosk: `ready()`
returns staff alerts, and the journey starts out of service until staff acknowledge them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from hardware.eid import EidReader, TrustStore
from hardware.errors import BorneError
from hardware.payment.journal import PaymentJournal
from hardware.payment.registry import TerminalSettings, create_terminal
from hardware.payment.service import PaymentService
from hardware.runner import DeviceRunner
from kiosk.adapters.card import EidCardAdapter
from kiosk.adapters.documents import CupsPrinterAdapter, SealedDocumentIssuer
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.adapters.sync import SyncService
from kiosk.config import KioskConfig
from kiosk.health import IN_SERVICE, OUT_OF_SERVICE, HealthBoard
from kiosk.journey import KEY_ALERT_MANUAL_REVIEW, JourneySettings, JourneyView
from kiosk.ports import Catalogue, Ports, StaffAlert
from kiosk.session import SessionState
from kiosk.staff_auth import StaffAuthenticator
from printing.documents import CATALOGUE
from printing.model import Commune
from printing.paper import PaperTracker
from printing.printer import CupsPrinter, DocumentPrinter
from printing.seal import Sealer
from printing.token import TokenConfig

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0


@dataclass(slots=True)
class Kiosk:
    """The wired kiosk: its ports, and the runners that own each device."""

    config: KioskConfig
    ports: Ports
    settings: JourneySettings
    card: EidCardAdapter
    payment: ZvtPaymentAdapter
    issuer: SealedDocumentIssuer
    sync: SyncService
    runners: list[tuple[DeviceRunner, Callable[[], None] | None]] = field(default_factory=list)
    health: HealthBoard = field(default_factory=HealthBoard)
    alerts: tuple[StaffAlert, ...] = ()
    """Staff alerts found by `ready()`; the journey starts out of service when there are any."""

    def ready(self) -> tuple[StaffAlert, ...]:
        """Resolve unfinished payments, load the seal key and open the outbox.

        Raises when the terminal or the outbox cannot be readied. A seal token that cannot seal
        and payments waiting for staff are returned (and kept in `alerts`) instead.
        """
        recovered = self.payment.start()
        sealer = self.issuer.preflight()
        sync = self.sync.start()
        touched = recovered.result(timeout=READY_TIMEOUT_S)
        alerts: list[StaffAlert] = []
        try:
            sealer.result(timeout=READY_TIMEOUT_S)
        except BorneError as err:
            log.error("signer_unavailable", extra={"key": err.translation_key})
            alerts.append(StaffAlert(reason="signer_unavailable", key=err.translation_key))
        sync.result(timeout=READY_TIMEOUT_S)
        for reference in self.payment.pending_reviews().result(timeout=READY_TIMEOUT_S):
            alerts.append(
                StaffAlert(reason="manual_review", key=KEY_ALERT_MANUAL_REVIEW, reference=reference)
            )
        self.alerts = tuple(alerts)
        log.info(
            "kiosk_ready",
            extra={
                "kiosk_id": self.config.kiosk_id,
                "payments_recovered": touched,
                "staff_alerts": len(alerts),
            },
        )
        return self.alerts

    def observe(self, view: JourneyView) -> None:
        """Journey listener: the heartbeat tells whether the kiosk is out of service."""
        out = view.state is SessionState.OUT_OF_SERVICE
        self.health.set_mode(OUT_OF_SERVICE if out else IN_SERVICE)

    def stop(self) -> None:
        for runner, close in reversed(self.runners):
            runner.stop(close=close)


def token_config(config: KioskConfig) -> TokenConfig:
    if config.signing.pin is None:
        msg = "the seal token's PIN is not known (set BORNE_SEAL_PIN)"
        raise ValueError(msg)
    return TokenConfig(
        module_path=config.signing.module,
        conf_path=config.signing.softhsm_conf,
        token_label=config.signing.token_label,
        key_label=config.signing.key_label,
        key_id=config.signing.key_id,
        user_pin=config.signing.pin,
    )


def journey_settings(config: KioskConfig) -> JourneySettings:
    offered = {k: v for k, v in config.prices_cents.items() if k in CATALOGUE}
    for missing in sorted(set(config.prices_cents) - set(offered)):
        log.warning(
            "document_not_offered", extra={"document_type": missing, "reason": "no template"}
        )
    return JourneySettings(
        commune_name=config.commune.name,
        catalogue=Catalogue(prices_cents=offered, languages=config.document_languages),
        kiosk_id=config.kiosk_id,
        languages=config.languages,
    )


def build(
    config: KioskConfig,
    *,
    token: TokenConfig | None,
    print_output: Path | None = None,
    keep_issued: bool = False,
    sealer_factory: Callable[[], Sealer] | None = None,
    document_printer: DocumentPrinter | None = None,
) -> Kiosk:
    """Wire the real adapters; nothing talks to a device until `Kiosk.ready()`.

    The demo's in-process fallbacks (`devstack.sim`) come in as `sealer_factory` (the software seal
    without a token; `token` may then be None) and `document_printer` (the folder printer without cupsd).
    """
    if sealer_factory is None:
        if token is None:
            msg = "a seal token (or a sealer factory) is needed to issue documents"
            raise ValueError(msg)
        seal_token = token

        def sealer_factory() -> Sealer:
            return Sealer(seal_token, location=config.commune.name)

    runners = {
        name: DeviceRunner(name) for name in ("card", "payment", "signer", "printer", "sync")
    }
    for runner in runners.values():
        runner.start()
    board = HealthBoard()

    trust = (
        TrustStore.with_test_root(config.eid.test_roots)
        if config.eid.test_roots is not None and config.mode.trusts_test_roots
        else TrustStore.production()
    )
    card = EidCardAdapter(
        runner=runners["card"],
        reader=EidReader(reader_prefix=config.eid.reader_prefix, trust=trust),
        reader_prefix=config.eid.reader_prefix,
        health_board=board,
        forward_restored=True,
    )

    def payment_service() -> PaymentService:
        return PaymentService(
            terminal=create_terminal(
                config.payment.protocol,
                TerminalSettings(
                    port=config.payment.port,
                    baudrate=config.payment.baudrate,
                    timeout_scale=config.payment.timeout_scale,
                ),
            ),
            journal=PaymentJournal(config.payment.journal),
            on_manual_review=payment.staff_alert,
        )

    config.payment.journal.parent.mkdir(parents=True, exist_ok=True)
    payment = ZvtPaymentAdapter(
        runner=runners["payment"],
        service_factory=payment_service,
        commune=config.commune.name,
        kiosk_id=config.kiosk_id,
        acknowledged_path=config.payment.journal.with_suffix(".acknowledged.json"),
        health_board=board,
    )
    communes = {
        language: Commune(
            name=config.commune.name,
            address=config.commune.address,
            service=config.commune.service_in(language),
            official_title=config.commune.official_title_in(language),
            logo_path=config.commune.logo
            if config.commune.logo and config.commune.logo.exists()
            else None,
        )
        for language in config.document_languages
    }
    commune = communes[config.document_languages[0]]
    issuer = SealedDocumentIssuer(
        runner=runners["signer"],
        sealer_factory=sealer_factory,
        commune=commune,
        kiosk_id=config.kiosk_id,
        verify_base_url=config.central.url,
        spool_dir=config.var_dir / "spool",
        health_board=board,
        commune_by_language=communes,
    )
    paper = (
        PaperTracker(config.printing.paper_state, tray_capacity=config.printing.tray_capacity)
        if config.printing.paper_state is not None
        else None
    )
    receipt_queue = config.printing.receipt_queue
    printer = CupsPrinterAdapter(
        runner=runners["printer"],
        printer=CupsPrinter(queue=config.printing.queue, server=config.printing.server, paper=paper)
        if document_printer is None
        else _as_cups_printer(document_printer),
        job_timeout_s=config.printing.job_timeout_s,
        output_dir=print_output or config.printing.output_dir,
        keep_spool=keep_issued,
        receipt_printer=CupsPrinter(queue=receipt_queue, server=config.printing.server)
        if receipt_queue is not None
        else None,
        commune=commune,
        commune_by_language=communes,
        kiosk_id=config.kiosk_id,
        health_board=board,
    )
    sync = SyncService(
        runner=runners["sync"],
        base_url=config.central.url,
        kiosk_id=config.kiosk_id,
        token=config.central.token,
        outbox_path=config.central.outbox,
        timeout_s=config.central.timeout_s,
        heartbeat_s=config.central.heartbeat_s,
        health_board=board,
        key_file=config.central.key_file,
        enrollment_code=config.central.enrollment_code,
        ca_file=config.central.ca_file,
    )
    ports = Ports(
        card=card, register=sync, payment=payment, issuer=issuer, printer=printer, outbox=sync
    )
    return Kiosk(
        config=config,
        ports=ports,
        settings=journey_settings(config),
        card=card,
        payment=payment,
        issuer=issuer,
        sync=sync,
        health=board,
        runners=[
            (runners["sync"], sync.close),
            (runners["printer"], None),
            (runners["signer"], None),
            (runners["payment"], payment.close),
            (runners["card"], card.close),
        ],
    )


def _as_cups_printer(printer: DocumentPrinter) -> CupsPrinter:
    """`CupsPrinterAdapter` is annotated `CupsPrinter` but uses only the `DocumentPrinter` surface
    (submit, wait, status): the demo's folder printer goes through the same adapter."""
    return cast("CupsPrinter", printer)


def run_autoplay(
    kiosk: Kiosk,
    *,
    language: str,
    pin: str,
    documents: tuple[str, ...],
    document_language: str,
    sessions: int,
    insert_card: Callable[[], None],
    remove_card: Callable[[], None],
) -> dict[str, object]:
    """Play scripted residents through the real screens, headless; returns the run as a dict."""
    from ui.app import run_kiosk  # noqa: PLC0415 - the only import of the UI from the core
    from ui.autoplay import AutoplayScript  # noqa: PLC0415

    result = run_kiosk(
        ports=kiosk.ports,
        settings=kiosk.settings,
        alerts=kiosk.alerts,
        on_view=kiosk.observe,
        staff=staff_authenticator(kiosk.config),
        autoplay=AutoplayScript(
            language=language, pin=pin, documents=documents, document_language=document_language
        ),
        sessions=sessions,
        insert_card=insert_card,
        remove_card=remove_card,
    )
    return result.as_dict()


def run_interactive(kiosk: Kiosk, *, fullscreen: bool) -> None:
    """The kiosk for residents, until the window is closed."""
    from ui.app import run_kiosk  # noqa: PLC0415

    run_kiosk(
        ports=kiosk.ports,
        settings=kiosk.settings,
        alerts=kiosk.alerts,
        on_view=kiosk.observe,
        autoplay=None,
        fullscreen=fullscreen,
        staff=staff_authenticator(kiosk.config),
        screen_size=(kiosk.config.ui.screen_width, kiosk.config.ui.screen_height),
        dpi=kiosk.config.ui.dpi,
    )


def staff_authenticator(config: KioskConfig) -> StaffAuthenticator:
    """Checks the staff login's one-time maintenance codes (`staff.*` keys)."""
    return StaffAuthenticator(
        code_hash=config.staff.maintenance_code_hash,
        used_file=config.staff.used_codes,
        clock=time.monotonic,
    )


def render_screenshots(config: KioskConfig, *, out: Path) -> list[Path]:
    """Every screen × language × mode × size to PNG under `out` (no device is used)."""
    from ui.screenshots import render_screenshots as render  # noqa: PLC0415

    return render(settings=journey_settings(config), out=out)

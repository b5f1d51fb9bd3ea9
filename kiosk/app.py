"""The composition root: the one place that wires drivers, services and the UI together.

Every device gets its own `DeviceRunner` thread (card reader, payment terminal, signer, printer,
sync client). Before the first resident is served, the outbox is opened, the orders and payments a
dead process left are recovered by what was delivered (`kiosk.recovery`), and the seal key is
loaded; a part that cannot be readied is reported with its reason.
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
from hardware.speech import SpeechOutput
from kiosk.adapters.card import EidCardAdapter
from kiosk.adapters.delivery import DeliveryChecker
from kiosk.adapters.documents import CupsPrinterAdapter, SealedDocumentIssuer
from kiosk.adapters.kiosk_key import KIOSK_KEY_ID
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.adapters.speech import EspeakSpeechAdapter, SpeechSettings
from kiosk.adapters.sync import SyncService
from kiosk.config import KioskConfig
from kiosk.fleet.wiring import Fleet, build_fleet, install_handlers
from kiosk.flows.storage import KEY_ALERT_STORAGE_FULL, REASON_STORAGE_FULL
from kiosk.health import IN_SERVICE, OUT_OF_SERVICE, HealthBoard
from kiosk.issued import IssuanceLog
from kiosk.journey import (
    DEFAULT_TIMEOUTS_S,
    KEY_ALERT_MANUAL_REVIEW,
    KEY_ALERT_PAYMENT_UNKNOWN,
    JourneyController,
    JourneySettings,
    JourneyView,
)
from kiosk.ports import Catalogue, Ports, StaffAlert
from kiosk.recovery import recover_orders
from kiosk.session import SessionState
from kiosk.staff_audit import StaffAuditLog
from kiosk.staff_auth import StaffAuthenticator
from kiosk.storage import (
    KEY_ALERT_STORE_CORRUPT,
    MARKER_NAME,
    REASON_STORE_CORRUPT,
    StorageAdapter,
    StorageGuard,
    check_stores,
    secure_file,
    secure_tree,
)
from printing.documents import CATALOGUE
from printing.model import Commune
from printing.paper import PaperTracker
from printing.printer import CupsPrinter, DocumentPrinter
from printing.seal import Sealer
from printing.spool import sweep
from printing.token import TokenConfig

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0
FLUSH_TIMEOUT_S = 5.0
"""How long `Kiosk.stop()` tries to hand the outbox to the central before the process ends."""


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
    printer: CupsPrinterAdapter | None = None
    issued: IssuanceLog | None = None
    """The documents sealed whose order is not settled yet (start-up recovery reads it)."""
    keep_issued: bool = False
    """The demo keeps the sealed PDFs it hands over in `var/spool`; a kiosk keeps none."""
    fleet: Fleet | None = None
    staff: StaffAuthenticator | None = None
    speech: EspeakSpeechAdapter | None = None
    """The audio mode's voice (unavailable without espeak-ng: the audio buttons stay hidden)."""
    staff_audit: StaffAuditLog | None = None
    """Every staff action, hash-chained, synced to the central (`kiosk.staff_audit`)."""

    def start_journey(self, controller: JourneyController, quit_app: Callable[[int], None]) -> None:
        """The journey runs: fleet work joins it between residents; `quit_app` ends the app."""
        controller.on_change(self.observe)
        self.observe(controller.view)
        if self.fleet is not None:
            self.fleet.quit = quit_app
            self.fleet.attach(controller)

    def ready(self) -> tuple[StaffAlert, ...]:
        """Resolve unfinished payments, load the seal key and open the outbox.

        Raises when the terminal or the outbox cannot be readied. A seal token that cannot seal
        and payments waiting for staff are returned (and kept in `alerts`) instead.
        """
        alerts = self.check_disk()
        sealer = self.issuer.preflight()
        sync = self.sync.start()
        sync.result(timeout=READY_TIMEOUT_S)
        if self.staff_audit is not None:  # with the events a crash left before the outbox
            self.staff_audit.attach(self.sync.queue_staff_event)
        if self.issued is not None and self.printer is not None:
            touched = len(
                recover_orders(
                    issued=self.issued,
                    printer=self.printer,
                    payment=self.payment,
                    outbox=self.sync,
                    kiosk_id=self.config.kiosk_id,
                ).payments
            )
        else:
            touched = len(self.payment.start().result(timeout=READY_TIMEOUT_S))
        try:
            sealer.result(timeout=READY_TIMEOUT_S)
        except BorneError as err:
            log.error("signer_unavailable", extra={"key": err.translation_key})
            alerts.append(StaffAlert(reason="signer_unavailable", key=err.translation_key))
        for reference in self.payment.pending_reviews().result(timeout=READY_TIMEOUT_S):
            alerts.append(
                StaffAlert(reason="manual_review", key=KEY_ALERT_MANUAL_REVIEW, reference=reference)
            )
        # an outcome still unknown (the terminal busy with the dead process's dialogue): no
        # resident may be served, or the next one would meet a payment they never attempted
        for reference in self.payment.unresolved().result(timeout=READY_TIMEOUT_S):
            log.error("payment_unknown_at_start", extra={"reference": reference})
            alerts.append(
                StaffAlert(
                    reason="payment_unknown", key=KEY_ALERT_PAYMENT_UNKNOWN, reference=reference
                )
            )
        self.alerts = tuple(alerts)
        secure_tree(private_folders(self.config))
        log.info(
            "kiosk_ready",
            extra={
                "kiosk_id": self.config.kiosk_id,
                "payments_recovered": touched,
                "staff_alerts": len(alerts),
            },
        )
        return self.alerts

    def check_disk(self) -> list[StaffAlert]:
        """Damaged stores are moved aside and reported, files made private, free space checked."""
        alerts: list[StaffAlert] = []
        stores = (self.config.payment.journal, self.config.central.outbox)
        marker = self.config.payment.journal.parent / MARKER_NAME
        for damaged in check_stores(stores, marker=marker):
            alerts.append(StaffAlert(reason=REASON_STORE_CORRUPT, key=KEY_ALERT_STORE_CORRUPT))
            log.error(
                "kiosk_store_quarantined",
                extra={"store": damaged.path.name, "problem": damaged.problem.value},
            )
        sweep(self.config.printing.sweep_dirs)
        if not self.keep_issued:  # sealed, never printed: a crash between the two
            sweep([self.config.var_dir / "spool"], pattern="*.pdf")
        secure_tree(private_folders(self.config))
        if self.config.central.key_file is not None:
            secure_file(self.config.central.key_file)
        if self.ports.storage is not None:
            check = self.ports.storage.check().result(timeout=READY_TIMEOUT_S)
            if not check.ready:
                alerts.append(StaffAlert(reason=REASON_STORAGE_FULL, key=KEY_ALERT_STORAGE_FULL))
        return alerts

    def observe(self, view: JourneyView) -> None:
        """Journey listener: the heartbeat tells whether the kiosk is out of service."""
        out = view.state is SessionState.OUT_OF_SERVICE
        self.health.set_mode(OUT_OF_SERVICE if out else IN_SERVICE)

    def stop(self, *, flush_timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Flush the outbox (bounded: what is not delivered stays in it for the next start), then
        stop every device runner."""
        try:
            sent = self.sync.deliver_now().result(timeout=flush_timeout_s)
            log.info("outbox_flushed_on_stop", extra={"delivered": sent})
        except Exception as err:  # noqa: BLE001 - the records stay queued, nothing is lost
            log.warning("outbox_flush_on_stop_failed", extra={"error": type(err).__name__})
        for runner, close in reversed(self.runners):
            runner.stop(close=close)
        if self.issued is not None:
            self.issued.close()
        if self.staff_audit is not None:
            self.staff_audit.close()


def private_folders(config: KioskConfig) -> tuple[Path, ...]:
    """The folders under `var/` that hold personal data, keys or records: 0700, files 0600."""
    var = config.var_dir.resolve()
    folders = {
        config.payment.journal.parent,
        config.central.outbox.parent,
        config.logging.directory,
        config.var_dir / "spool",
    }
    return tuple(sorted(f for f in folders if f.resolve().is_relative_to(var)))


def storage_guard(config: KioskConfig) -> StorageGuard:
    return StorageGuard(
        directories=(
            config.payment.journal.parent,
            config.central.outbox.parent,
            config.logging.directory,
        ),
        min_free_bytes=config.storage.min_free_mb * 1024 * 1024,
    )


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


def kiosk_key_token(config: KioskConfig) -> TokenConfig | None:
    """Where the kiosk keeps its own key: a token beside the seal's (same module), if configured."""
    if config.central.key_token is None or config.central.key_pin is None:
        return None
    return TokenConfig(
        module_path=config.signing.module,
        conf_path=config.signing.softhsm_conf,
        token_label=config.central.key_token,
        key_label=config.central.key_label,
        key_id=KIOSK_KEY_ID,
        user_pin=config.central.key_pin,
    )


def communes_of(config: KioskConfig) -> dict[str, Commune]:
    """The commune's texts per certificate language, as printed on the documents."""
    return {
        language: Commune(
            name=config.commune.name,
            address=config.commune.address,
            service=config.commune.service_in(language),
            official_title=config.commune.official_title_in(language),
            logo_path=config.commune.logo
            if config.commune.logo and config.commune.logo.exists()
            else None,
            kingdom=config.commune.kingdom,
            province=config.commune.province_in(language),
        )
        for language in config.document_languages
    }


def journey_settings(config: KioskConfig) -> JourneySettings:
    offered = {k: v for k, v in config.prices_cents.items() if k in CATALOGUE}
    for missing in sorted(set(config.prices_cents) - set(offered)):
        log.warning(
            "document_not_offered", extra={"document_type": missing, "reason": "no template"}
        )
    managed = config.managed
    timeouts = dict(DEFAULT_TIMEOUTS_S)
    if managed is not None:
        timeouts.update({SessionState(k): v for k, v in managed.timeouts_s.items()})
    return JourneySettings(
        commune_name=config.commune.name,
        catalogue=Catalogue(prices_cents=offered, languages=config.document_languages),
        kiosk_id=config.kiosk_id,
        languages=config.languages,
        timeouts_s=timeouts,
        timeout_warning_s=managed.timeout_warning_s if managed is not None else 20.0,
        purposes=config.purposes,
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
        name: DeviceRunner(name)
        for name in ("card", "payment", "signer", "printer", "sync", "storage", "speech")
    }
    for runner in runners.values():
        runner.start()
    board = HealthBoard()
    paper = (
        PaperTracker(config.printing.paper_state, tray_capacity=config.printing.tray_capacity)
        if config.printing.paper_state is not None
        else None
    )
    fleet = build_fleet(config=config, make_settings=journey_settings, board=board, paper=paper)
    config = fleet.config  # the last good configuration from the central, when one is kept

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
    issued = IssuanceLog(config.payment.journal.parent / "issued.sqlite")
    payment = ZvtPaymentAdapter(
        runner=runners["payment"],
        service_factory=payment_service,
        commune=config.commune.name,
        kiosk_id=config.kiosk_id,
        acknowledged_path=config.payment.journal.with_suffix(".acknowledged.json"),
        health_board=board,
    )
    communes = communes_of(config)
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
        issuance_log=issued,
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
        sweep_dirs=config.printing.sweep_dirs,
        receipt_printer=CupsPrinter(queue=receipt_queue, server=config.printing.server)
        if receipt_queue is not None
        else None,
        commune=commune,
        commune_by_language=communes,
        kiosk_id=config.kiosk_id,
        health_board=board,
        issuance_log=issued,
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
        key_token=kiosk_key_token(config),
        enrollment_code=config.central.enrollment_code,
        issuance_log=issued,
        heartbeat_facts=fleet.facts,
        on_ack=fleet.on_ack,
        ca_file=config.central.ca_file,
    )
    staff_audit = StaffAuditLog(
        config.payment.journal.parent / "staff_audit.sqlite", kiosk_id=config.kiosk_id
    )
    staff = staff_authenticator(config)
    speech = EspeakSpeechAdapter(runner=runners["speech"], settings=speech_settings(config))
    fleet.calls.nudge = sync.send_heartbeat  # a resident's call to staff goes at once
    staff.use_audit(staff_audit)

    def commune_texts(changed: KioskConfig) -> None:
        texts = communes_of(changed)
        for adapter in (issuer, printer):
            adapter.use_communes(texts[changed.document_languages[0]], texts)

    fleet.on_applied.append(commune_texts)
    install_handlers(fleet, sync=sync, printer=printer, payment=payment, staff=staff)
    ports = Ports(
        card=card,
        register=sync,
        payment=payment,
        issuer=issuer,
        printer=printer,
        outbox=sync,
        storage=StorageAdapter(runner=runners["storage"], guard=storage_guard(config)),
        calls=fleet.calls,
        delivery=DeliveryChecker(printer=printer, issuer=issuer, board=board),
    )
    return Kiosk(
        config=config,
        ports=ports,
        settings=fleet.journey,
        card=card,
        payment=payment,
        issuer=issuer,
        sync=sync,
        health=board,
        printer=printer,
        issued=issued,
        keep_issued=keep_issued,
        fleet=fleet,
        staff=staff,
        speech=speech,
        staff_audit=staff_audit,
        runners=[
            (runners["speech"], speech.close),
            (runners["storage"], None),
            (runners["sync"], sync.close),
            (runners["printer"], None),
            (runners["signer"], None),
            (runners["payment"], payment.close),
            (runners["card"], card.close),
        ],
    )


def speech_settings(config: KioskConfig) -> SpeechSettings:
    return SpeechSettings(
        program=config.speech.program,
        output=SpeechOutput(config.speech.output),
        wav_path=config.speech.wav_file,
        transcript=config.speech.transcript,
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
    audio: bool = False,
) -> dict[str, object]:
    """Play scripted residents through the real screens, headless; returns the run as a dict."""
    from ui.app import run_kiosk  # noqa: PLC0415 - the only import of the UI from the core
    from ui.autoplay import AutoplayScript  # noqa: PLC0415

    result = run_kiosk(
        ports=kiosk.ports,
        settings=kiosk.settings,
        alerts=kiosk.alerts,
        on_start=kiosk.start_journey,
        staff=kiosk.staff or staff_authenticator(kiosk.config),
        autoplay=AutoplayScript(
            language=language,
            pin=pin,
            documents=documents,
            document_language=document_language,
            audio=audio,
        ),
        speech=kiosk.speech,
        sessions=sessions,
        insert_card=insert_card,
        remove_card=remove_card,
    )
    return result.as_dict()


def run_interactive(kiosk: Kiosk, *, fullscreen: bool, locked: bool = False) -> int:
    """The kiosk for residents, until the window is closed, staff leave a locked kiosk, or a stop
    signal ends it (the session wiped first); returns the exit code (a restart asked from the
    central: `kiosk.fleet.wiring.EXIT_RESTART`; 0 otherwise, a stop signal included)."""
    from ui.app import run_kiosk  # noqa: PLC0415

    result = run_kiosk(
        ports=kiosk.ports,
        settings=kiosk.settings,
        alerts=kiosk.alerts,
        on_start=kiosk.start_journey,
        autoplay=None,
        speech=kiosk.speech,
        fullscreen=fullscreen,
        staff=kiosk.staff or staff_authenticator(kiosk.config),
        screen_size=(kiosk.config.ui.screen_width, kiosk.config.ui.screen_height),
        dpi=kiosk.config.ui.dpi,
        locked=locked,
    )
    if result.stopped_by:
        return 0
    return (kiosk.fleet.exit_code or 0) if kiosk.fleet is not None else 0


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

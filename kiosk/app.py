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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hardware.errors import BorneError
from hardware.runner import DeviceRunner
from kiosk.adapters.card import EidCardAdapter
from kiosk.adapters.documents import CupsPrinterAdapter, SealedDocumentIssuer
from kiosk.adapters.headset import HeadsetDetector
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.adapters.speech import EspeakSpeechAdapter
from kiosk.adapters.sync import SyncService
from kiosk.app_settings import (
    communes_of,
    headset_detector,
    journey_settings,
    kiosk_key_token,
    private_folders,
    speech_settings,
    staff_authenticator,
    storage_guard,
    token_config,
)
from kiosk.assembly import closers, devices, follow_commune_texts, maintenance_of, ports_of
from kiosk.config import KioskConfig
from kiosk.fleet.wiring import Fleet, install_handlers
from kiosk.flows.storage import KEY_ALERT_STORAGE_FULL, REASON_STORAGE_FULL
from kiosk.health import IN_SERVICE, OUT_OF_SERVICE, HealthBoard
from kiosk.issued import IssuanceLog
from kiosk.journey import (
    KEY_ALERT_MANUAL_REVIEW,
    KEY_ALERT_PAYMENT_UNKNOWN,
    JourneyController,
    JourneySettings,
    JourneyView,
)
from kiosk.maintenance.wiring import MaintenanceFactory
from kiosk.ports import Ports, StaffAlert
from kiosk.recovery import recover_orders
from kiosk.session import SessionState
from kiosk.staff_audit import StaffAuditLog
from kiosk.staff_auth import StaffAuthenticator
from kiosk.storage import (
    KEY_ALERT_STORE_CORRUPT,
    MARKER_NAME,
    REASON_STORE_CORRUPT,
    STAFF_AUDIT_STORE,
    DamagedStore,
    check_stores,
    kiosk_stores,
    secure_file,
    secure_tree,
)
from printing.printer import DocumentPrinter
from printing.seal import Sealer
from printing.spool import sweep
from printing.token import TokenConfig

__all__ = [  # the configuration's derivations stay importable from here
    "Kiosk",
    "build",
    "communes_of",
    "headset_detector",
    "journey_settings",
    "kiosk_key_token",
    "private_folders",
    "render_screenshots",
    "run_autoplay",
    "run_interactive",
    "speech_settings",
    "staff_authenticator",
    "storage_guard",
    "token_config",
]

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
    headset: HeadsetDetector | None = None
    """Plugging a headset in starts the audio mode (`speech.headset`; None when "off")."""
    staff_audit: StaffAuditLog | None = None
    """Every staff action, hash-chained, synced to the central (`kiosk.staff_audit`)."""
    maintenance: MaintenanceFactory | None = None
    """Builds the maintenance mode that the staff door's accepted login opens."""
    damaged_stores: tuple[DamagedStore, ...] = ()
    """Stores `build` found damaged (and moved aside) before any was opened; reported once."""

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
        stores = (self.config.payment.journal, self.config.central.outbox)  # opened by ready()
        marker = self.config.payment.journal.parent / MARKER_NAME
        found, self.damaged_stores = (
            (*self.damaged_stores, *check_stores(stores, marker=marker)),
            (),
        )
        for damaged in found:
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
    damaged = _check_every_store(config)  # before the product opens any of them
    d = devices(
        config,
        token=token,
        print_output=print_output,
        keep_issued=keep_issued,
        sealer_factory=sealer_factory,
        document_printer=document_printer,
    )
    config = d.config
    staff_audit = StaffAuditLog(
        config.payment.journal.parent / STAFF_AUDIT_STORE, kiosk_id=config.kiosk_id
    )
    staff = staff_authenticator(config)
    speech = EspeakSpeechAdapter(runner=d.runners["speech"], settings=speech_settings(config))
    d.fleet.calls.nudge = d.sync.send_heartbeat  # a resident's call to staff goes at once
    staff.use_audit(staff_audit)
    follow_commune_texts(d)
    install_handlers(
        d.fleet, sync=d.sync, printer=d.printer, payment=d.payment, staff=staff, logs=d.sync
    )
    return Kiosk(
        config=config,
        ports=ports_of(d),
        settings=d.fleet.journey,
        card=d.card,
        payment=d.payment,
        issuer=d.issuer,
        sync=d.sync,
        health=d.board,
        printer=d.printer,
        issued=d.issued,
        keep_issued=keep_issued,
        fleet=d.fleet,
        staff=staff,
        speech=speech,
        headset=headset_detector(config),
        staff_audit=staff_audit,
        maintenance=maintenance_of(d, staff=staff, audit=staff_audit),
        runners=closers(d, speech=speech),
        damaged_stores=damaged,
    )


def _check_every_store(config: KioskConfig) -> tuple[DamagedStore, ...]:
    """Check (and move aside when damaged) every SQLite store before one is opened."""
    journal = config.payment.journal
    journal.parent.mkdir(parents=True, exist_ok=True)
    stores = kiosk_stores(journal=journal, outbox=config.central.outbox)
    return check_stores(stores, marker=journal.parent / MARKER_NAME)


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
    type_on_reader: Callable[[str], None] | None = None,
    email: str = "",
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
        maintenance=kiosk.maintenance,
        autoplay=AutoplayScript(
            language=language,
            pin=pin,
            documents=documents,
            document_language=document_language,
            audio=audio,
            type_on_reader=type_on_reader,
            email=email,
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
        headset=kiosk.headset,
        fullscreen=fullscreen,
        staff=kiosk.staff or staff_authenticator(kiosk.config),
        maintenance=kiosk.maintenance,
        screen_size=(kiosk.config.ui.screen_width, kiosk.config.ui.screen_height),
        dpi=kiosk.config.ui.dpi,
        locked=locked,
    )
    if result.stopped_by:
        return 0
    return (kiosk.fleet.exit_code or 0) if kiosk.fleet is not None else 0


def render_screenshots(config: KioskConfig, *, out: Path) -> list[Path]:
    """Every screen × language × mode × size to PNG under `out` (no device is used)."""
    from ui.screenshots import render_screenshots as render  # noqa: PLC0415

    return render(settings=journey_settings(config), out=out)

"""The kiosk's devices wired from its configuration: what `kiosk.app.build` assembles.

Each device gets its runner thread (`_started_runners`); the adapters are built here and
nothing talks to a device until `Kiosk.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from hardware.eid import EidReader, TrustStore
from hardware.payment.journal import PaymentJournal
from hardware.payment.registry import TerminalSettings, create_terminal
from hardware.payment.service import PaymentService
from hardware.runner import DeviceRunner
from kiosk.adapters.card import EidCardAdapter
from kiosk.adapters.delivery import DeliveryChecker
from kiosk.adapters.documents import CupsPrinterAdapter, SealedDocumentIssuer
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.adapters.speech import EspeakSpeechAdapter
from kiosk.adapters.sync import SyncService
from kiosk.app_settings import communes_of, journey_settings, kiosk_key_token, storage_guard
from kiosk.config import KioskConfig
from kiosk.fleet.wiring import Fleet, build_fleet
from kiosk.health import HealthBoard
from kiosk.issued import IssuanceLog
from kiosk.maintenance.clock import ClockWatch
from kiosk.maintenance.wiring import MaintenanceFactory, maintenance_factory
from kiosk.ports import Ports
from kiosk.staff_audit import StaffAuditLog
from kiosk.staff_auth import StaffAuthenticator
from kiosk.storage import (
    StorageAdapter,
)
from printing.paper import PaperTracker
from printing.printer import CupsPrinter, DocumentPrinter
from printing.seal import Sealer
from printing.token import TokenConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class Devices:
    """The adapters of one kiosk, on their runners, with the configuration they were built for."""

    config: KioskConfig
    runners: dict[str, DeviceRunner]
    board: HealthBoard
    fleet: Fleet
    issued: IssuanceLog
    card: EidCardAdapter
    payment: ZvtPaymentAdapter
    issuer: SealedDocumentIssuer
    printer: CupsPrinterAdapter
    sync: SyncService
    clock_watch: ClockWatch


def devices(
    config: KioskConfig,
    *,
    token: TokenConfig | None,
    print_output: Path | None,
    keep_issued: bool,
    sealer_factory: Callable[[], Sealer] | None,
    document_printer: DocumentPrinter | None,
) -> Devices:
    """Start the runners and build every adapter (the fleet's last good configuration wins)."""
    sealer_factory = sealer_factory or _token_sealer(config, token)
    runners = _started_runners()
    board = HealthBoard()
    paper = (
        PaperTracker(config.printing.paper_state, tray_capacity=config.printing.tray_capacity)
        if config.printing.paper_state is not None
        else None
    )
    fleet = build_fleet(config=config, make_settings=journey_settings, board=board, paper=paper)
    config = fleet.config  # the last good configuration from the central, when one is kept

    card = _card_adapter(config, runner=runners["card"], board=board)

    config.payment.journal.parent.mkdir(parents=True, exist_ok=True)
    issued = IssuanceLog(config.payment.journal.parent / "issued.sqlite")
    payment = _payment_adapter(config, runner=runners["payment"], board=board)
    issuer, printer = _document_adapters(
        config,
        runners=runners,
        board=board,
        issued=issued,
        paper=paper,
        sealer_factory=sealer_factory,
        document_printer=document_printer,
        print_output=print_output,
        keep_issued=keep_issued,
    )
    clock_watch = ClockWatch()
    sync = _sync_service(
        config, runner=runners["sync"], board=board, issued=issued, fleet=fleet, clock=clock_watch
    )
    return Devices(
        config=config,
        runners=runners,
        board=board,
        fleet=fleet,
        issued=issued,
        card=card,
        payment=payment,
        issuer=issuer,
        printer=printer,
        sync=sync,
        clock_watch=clock_watch,
    )


def ports_of(d: Devices) -> Ports:
    return Ports(
        card=d.card,
        register=d.sync,
        payment=d.payment,
        issuer=d.issuer,
        printer=d.printer,
        outbox=d.sync,
        storage=StorageAdapter(runner=d.runners["storage"], guard=storage_guard(d.config)),
        calls=d.fleet.calls,
        delivery=DeliveryChecker(
            printer=d.printer, issuer=d.issuer, board=d.board, central=d.sync.reachability
        ),
        central=d.sync.reachability,
        mail=d.sync if d.config.central.email_documents else None,
        requests=d.sync if d.config.central.my_requests else None,
    )


def follow_commune_texts(d: Devices) -> None:
    """Commune texts changed by the central reach the documents."""

    def commune_texts(changed: KioskConfig) -> None:
        texts = communes_of(changed)
        for adapter in (d.issuer, d.printer):
            adapter.use_communes(texts[changed.document_languages[0]], texts)

    d.fleet.on_applied.append(commune_texts)


def _document_adapters(
    config: KioskConfig,
    *,
    runners: Mapping[str, DeviceRunner],
    board: HealthBoard,
    issued: IssuanceLog,
    paper: PaperTracker | None,
    sealer_factory: Callable[[], Sealer],
    document_printer: DocumentPrinter | None,
    print_output: Path | None,
    keep_issued: bool,
) -> tuple[SealedDocumentIssuer, CupsPrinterAdapter]:
    """The sealing issuer and the printer, with the commune's texts in each document language."""
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
    return issuer, printer


def _sync_service(
    config: KioskConfig,
    *,
    runner: DeviceRunner,
    board: HealthBoard,
    issued: IssuanceLog,
    fleet: Fleet,
    clock: ClockWatch,
) -> SyncService:
    """The outbox, heartbeats and register calls to the central, signed with the kiosk's key."""
    return SyncService(
        runner=runner,
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
        on_ack=clock.wrap(fleet.on_ack),
        ca_file=config.central.ca_file,
    )


def _token_sealer(config: KioskConfig, token: TokenConfig | None) -> Callable[[], Sealer]:
    """The seal on the configured token (the demo brings its own factory without one)."""
    if token is None:
        msg = "a seal token (or a sealer factory) is needed to issue documents"
        raise ValueError(msg)
    seal_token = token

    def sealer_factory() -> Sealer:
        return Sealer(seal_token, location=config.commune.name)

    return sealer_factory


def _started_runners() -> dict[str, DeviceRunner]:
    """One thread per device, each owning its device."""
    runners = {
        name: DeviceRunner(name)
        for name in ("card", "payment", "signer", "printer", "sync", "storage", "speech")
    }
    for runner in runners.values():
        runner.start()
    return runners


def _card_adapter(
    config: KioskConfig, *, runner: DeviceRunner, board: HealthBoard
) -> EidCardAdapter:
    trust = (
        TrustStore.with_test_root(config.eid.test_roots)
        if config.eid.test_roots is not None and config.mode.trusts_test_roots
        else TrustStore.production()
    )
    return EidCardAdapter(
        runner=runner,
        reader=EidReader(reader_prefix=config.eid.reader_prefix, trust=trust),
        reader_prefix=config.eid.reader_prefix,
        health_board=board,
        forward_restored=True,
    )


def _payment_adapter(
    config: KioskConfig, *, runner: DeviceRunner, board: HealthBoard
) -> ZvtPaymentAdapter:
    def payment_service() -> PaymentService:
        return PaymentService(
            terminal=create_terminal(
                config.payment.protocol,
                TerminalSettings(
                    port=config.payment.port,
                    baudrate=config.payment.baudrate,
                    timeout_scale=config.payment.timeout_scale,
                    between_transactions_s=config.payment.between_transactions_s,
                ),
            ),
            journal=PaymentJournal(config.payment.journal),
            on_manual_review=payment.staff_alert,
        )

    payment = ZvtPaymentAdapter(
        runner=runner,
        service_factory=payment_service,
        commune=config.commune.name,
        kiosk_id=config.kiosk_id,
        acknowledged_path=config.payment.journal.with_suffix(".acknowledged.json"),
        health_board=board,
    )
    return payment


def _as_cups_printer(printer: DocumentPrinter) -> CupsPrinter:
    """`CupsPrinterAdapter` is annotated `CupsPrinter` but uses only the `DocumentPrinter` surface
    (submit, wait, status): the demo's folder printer goes through the same adapter."""
    return cast("CupsPrinter", printer)


def maintenance_of(
    d: Devices, *, staff: StaffAuthenticator, audit: StaffAuditLog
) -> MaintenanceFactory:
    """The maintenance mode the staff door opens, on this kiosk's devices."""
    return maintenance_factory(
        fleet=d.fleet,
        card=d.card,
        payment=d.payment,
        printer=d.printer,
        issuer=d.issuer,
        sync=d.sync,
        staff=staff,
        clock_watch=d.clock_watch,
        log_runner=d.runners["storage"],  # the log files are read on the disk's thread
        audit=audit,
    )


def closers(
    d: Devices, *, speech: EspeakSpeechAdapter
) -> list[tuple[DeviceRunner, Callable[[], None] | None]]:
    """Each runner with what closes its device on its own thread, in stopping order."""
    return [
        (d.runners["speech"], speech.close),
        (d.runners["storage"], None),
        (d.runners["sync"], d.sync.close),
        (d.runners["printer"], None),
        (d.runners["signer"], None),
        (d.runners["payment"], d.payment.close),
        (d.runners["card"], d.card.close),
    ]

"""The maintenance mode wired to the kiosk's own adapters, fleet and configuration."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from hardware.runner import DeviceRunner
from kiosk.adapters.card import EidCardAdapter
from kiosk.adapters.documents import CupsPrinterAdapter, SealedDocumentIssuer
from kiosk.adapters.payment import ZvtPaymentAdapter
from kiosk.adapters.sync import SyncService
from kiosk.fleet.wiring import Fleet
from kiosk.maintenance.audit import LogAuditSink, Pseudonyms, StaffAuditSink
from kiosk.maintenance.clock import ClockWatch
from kiosk.maintenance.logs import LogDesk
from kiosk.maintenance.parts import Journey
from kiosk.maintenance.service import MaintenanceParts, MaintenanceService
from kiosk.maintenance.session import AttemptLimiter
from kiosk.maintenance.staff_card import StaffCardLogin
from kiosk.staff_auth import StaffAuthenticator
from offline_queue.managed_config import StaffRole
from offline_queue.wire import Command, CommandKind

MaintenanceFactory = Callable[[Journey], MaintenanceService]


def maintenance_factory(
    *,
    fleet: Fleet,
    card: EidCardAdapter,
    payment: ZvtPaymentAdapter,
    printer: CupsPrinterAdapter,
    issuer: SealedDocumentIssuer,
    sync: SyncService,
    staff: StaffAuthenticator,
    clock_watch: ClockWatch,
    log_runner: DeviceRunner,
    audit: StaffAuditSink | None = None,
) -> MaintenanceFactory:
    """The maintenance mode of this kiosk, for the journey the window shows."""
    pseudonyms = Pseudonyms(fleet.config.var_dir / "data" / "staff-pseudonym.key")

    def role_of(national_number: str) -> StaffRole | None:
        managed = fleet.config.managed  # the central's allow-list as last applied
        return managed.role_of(national_number) if managed is not None else None

    parts = MaintenanceParts(
        card=card,
        payment=payment,
        printer=printer,
        signer=issuer,
        central=sync,
        board=fleet.board,
        counters=fleet,
        paper=fleet.paper,
        clock_watch=clock_watch,
        kiosk_id=fleet.config.kiosk_id,
        restart=lambda: restart_app(fleet),
        logs=LogDesk(
            directory=fleet.config.logging.directory,
            kiosk_id=fleet.config.kiosk_id,
            runner=log_runner,
            sender=sync,
        ),
    )
    cards = StaffCardLogin(
        card=card,
        central=sync,
        role_of=role_of,
        pseudonyms=pseudonyms,
        limiter=AttemptLimiter(clock=time.monotonic),
    )

    def build(journey: Journey) -> MaintenanceService:
        return MaintenanceService(
            parts=parts,
            journey=journey,
            audit=audit or LogAuditSink(),
            codes=staff,
            cards=cards,
            clock=time.monotonic,
        )

    return build


def restart_app(fleet: Fleet) -> None:
    """The fleet's own restart (exit code 75), asked from the maintenance screen."""
    command = Command(
        command_id="maintenance-restart",
        kind=CommandKind.RESTART_APP,
        issued_at=datetime.now(tz=UTC),
    )
    leave = fleet.restart(command).after
    if leave is not None:
        leave()

"""The staff door's login and the maintenance screen, wired to one window's journey."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kiosk.journey import JourneyController
from ui.maintenance.login import MaintenanceLogin
from ui.maintenance.panel import MaintenancePanel

if TYPE_CHECKING:
    from kiosk.maintenance.wiring import MaintenanceFactory


def maintenance_doors(
    window: QWidget,
    controller: JourneyController,
    factory: MaintenanceFactory,
    *,
    exit_to_system: Callable[[], None],
) -> tuple[MaintenanceLogin, MaintenancePanel]:
    """An accepted login (code or staff eID) opens the maintenance screen over `window`."""
    service = factory(controller)
    service.exit_to_system = exit_to_system

    def language() -> str:
        return controller.view.language

    panel = MaintenancePanel(service, language=language, parent=window)
    login = MaintenanceLogin(
        service, language=language, on_accepted=panel.open_panel, parent=window
    )
    return login, panel

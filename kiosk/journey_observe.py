"""What the UI and the fleet read of a journey controller, and the listeners they register.

`kiosk.journey.JourneyController` builds on it; the attributes are the controller's.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.flows.order import OrderFlow
from kiosk.flows.staff import StaffFlow
from kiosk.journey_settings import JourneySettings
from kiosk.ports import StaffAlert
from kiosk.report import JourneyReport, ReportLog
from kiosk.session import SessionMachine, SessionState
from kiosk.view import JourneyView

S = SessionState


class ObservedJourney:
    """The read side of the journey: its view, state, reports, alerts, and its listeners."""

    _view: JourneyView
    _machine: SessionMachine
    _reports: ReportLog
    _settings: JourneySettings
    _order: OrderFlow
    _staff: StaffFlow
    _change_listeners: list[Callable[[JourneyView], None]]
    _idle_hooks: list[Callable[[], None]]

    @property
    def view(self) -> JourneyView:
        return self._view

    @property
    def state(self) -> SessionState:
        return self._machine.state

    @property
    def reports(self) -> tuple[JourneyReport, ...]:
        return self._reports.reports

    @property
    def settings(self) -> JourneySettings:
        return self._settings

    @property
    def reconciling(self) -> bool:
        """True while an abandoned payment is still being settled in the background."""
        return self._order.reconciling

    @property
    def alerts(self) -> tuple[StaffAlert, ...]:
        """Staff alerts not acknowledged yet."""
        return self._staff.alerts

    def on_change(self, listener: Callable[[JourneyView], None]) -> None:
        self._change_listeners.append(listener)

    def on_idle(self, hook: Callable[[], None]) -> None:
        """`hook` runs at each tick while no resident is served (attract or out of service)."""
        self._idle_hooks.append(hook)

    @property
    def between_residents(self) -> bool:
        return self.state in (S.ATTRACT, S.OUT_OF_SERVICE) and not self._order.reconciling

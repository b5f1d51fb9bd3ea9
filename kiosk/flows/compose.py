"""The flows a journey controller composes, built together over one `Host`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.flows.choice import ChoiceFlow
from kiosk.flows.host import Host
from kiosk.flows.identify import IdentifyFlow
from kiosk.flows.order import OrderFlow
from kiosk.flows.service import ServiceFlow
from kiosk.flows.staff import StaffFlow
from kiosk.flows.steps import Post, Steps
from kiosk.flows.storage import StorageWatch
from kiosk.journey_settings import JourneySettings
from kiosk.ports import Ports
from kiosk.view import OfferedDocument


@dataclass(frozen=True, slots=True, kw_only=True)
class Flows:
    identify: IdentifyFlow
    order: OrderFlow
    service: ServiceFlow
    choice: ChoiceFlow


def compose_flows(
    *,
    ports: Ports,
    steps: Steps,
    post: Post,
    host: Host,
    staff: StaffFlow,
    storage: StorageWatch,
    settings: Callable[[], JourneySettings],
    ids: Callable[[], str],
    offered: Callable[[], Sequence[OfferedDocument]],
    activity: Callable[[], None],
) -> Flows:
    """The flows of one controller; `settings` gives its current settings (they may change)."""
    service = ServiceFlow(ports=ports, steps=steps, post=post, host=host, staff=staff)
    return Flows(
        identify=IdentifyFlow(ports=ports, steps=steps, post=post, host=host),
        order=OrderFlow(
            ports=ports,
            steps=steps,
            post=post,
            host=host,
            storage=storage,
            storage_polled=service.storage_polled,
            catalogue=lambda: settings().catalogue,
            kiosk_id=lambda: settings().kiosk_id,
            ids=ids,
        ),
        service=service,
        choice=ChoiceFlow(host=host, settings=settings, offered=offered, activity=activity),
    )

"""The fleet's operator API models (JSON); the console reads the same objects from `FleetService`.

None holds personal data: kiosks, alerts, commands and audit entries carry ids, machine words and
figures. A kiosk's configuration may hold the staff allow-list: it is sent to operators only, and
never logged or audited by value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from offline_queue.wire import (
    CommandKind,
    CommandResult,
    Heartbeat,
    Identifier,
)


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertView(ApiModel):
    alert_id: int
    kiosk_id: str
    kind: str
    state: str
    detail: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    title_key: str
    action_key: str
    """Translation key of what to do (central/fleet/i18n)."""


class AlertPage(ApiModel):
    alerts: tuple[AlertView, ...]
    next_after: int | None = None


class CommandRequest(ApiModel):
    kind: CommandKind
    arguments: dict[Identifier, Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, max_length=16
    )


class CommandView(ApiModel):
    command_id: str
    kiosk_id: str
    kind: CommandKind
    state: str
    arguments: dict[str, str]
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    delivered_at: datetime | None = None
    finished_at: datetime | None = None
    result: CommandResult | None = None


class QueuedCommand(ApiModel):
    command: CommandView
    maintenance_code: str | None = Field(default=None, repr=False)
    """The one-time maintenance code, shown this once (the kiosk receives only its hash)."""


class CommandPage(ApiModel):
    commands: tuple[CommandView, ...]
    next_after: str | None = None


class KioskOverview(ApiModel):
    kiosk_id: str
    online: bool
    last_seen: datetime
    version: str
    channel: str
    mode: str
    days_until_empty: float | None = None
    outbox_backlog: int = 0
    active_alerts: int = 0
    config_etag: str = ""


class OverviewPage(ApiModel):
    kiosks: tuple[KioskOverview, ...]
    next_after: str | None = None


class EventView(ApiModel):
    seq: int
    at: datetime
    kind: str
    ref: str | None = None
    detail: str = ""


class TimelinePage(ApiModel):
    events: tuple[EventView, ...]
    next_before: int | None = None
    """Newest first: pass `before` = this to read older events."""


class HeartbeatView(ApiModel):
    seq: int
    received_at: datetime
    heartbeat: Heartbeat


class HeartbeatPage(ApiModel):
    heartbeats: tuple[HeartbeatView, ...]
    next_before: int | None = None


class ConfigUpdate(ApiModel):
    settings: dict[str, object]


class ConfigScope(ApiModel):
    scope: str
    """`*` for the fleet's default, else the kiosk id of an override."""
    revision: int
    settings: dict[str, object] = Field(repr=False)
    updated_at: datetime
    updated_by: str


class AuditEntry(ApiModel):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


class AuditPage(ApiModel):
    entries: tuple[AuditEntry, ...]
    next_after: int | None = None


class TerminalTotals(ApiModel):
    count: int
    total_cents: int
    reported_at: datetime


class Difference(ApiModel):
    code: str
    """`amount_mismatch`, `count_mismatch`, `paid_without_document`, `document_without_payment`,
    `payment_unknown`, `no_terminal_totals`."""
    detail: str = ""
    operation_ids: tuple[str, ...] = ()


class Reconciliation(ApiModel):
    kiosk_id: str
    day: date
    orders: int
    payments_approved: int
    payments_approved_cents: int
    payments_reversed: int
    payments_reversed_cents: int
    payments_unknown: int
    documents_issued: int
    net_cents: int
    terminal: TerminalTotals | None = None
    differences: tuple[Difference, ...] = ()
    balanced: bool

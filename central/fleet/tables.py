"""The fleet's tables (migration 0004): status, bounded heartbeat history, events, alerts,
commands, distributed configuration and the operator audit.

Times are epoch seconds (UTC) in floats, so that the sweeper and the forecasts compare numbers.
Every guarantee that must hold across several server processes sits in a constraint:
`fleet_alerts.open_key` is unique while an alert is open or acknowledged (NULL once resolved), so
two processes cannot open the same alert twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from central.db import metadata

_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

fleet_status = sa.Table(
    "fleet_status",
    metadata,
    sa.Column("kiosk_id", sa.String(128), primary_key=True),
    sa.Column("last_seen", sa.Float(), nullable=False, index=True),
    sa.Column("online", sa.Boolean(), nullable=False),
    sa.Column("changed_at", sa.Float(), nullable=False),
    sa.Column("days_until_empty", sa.Float()),
)

fleet_heartbeats = sa.Table(
    "fleet_heartbeats",
    metadata,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("received_at", sa.Float(), nullable=False),
    sa.Column("sent_at", sa.Float(), nullable=False),
    sa.Column("pages_printed_total", sa.BigInteger()),
    sa.Column("pages_left", sa.BigInteger()),
    sa.Column("heartbeat_json", sa.Text(), nullable=False),
    sa.Index("ix_fleet_heartbeats_kiosk_seq", "kiosk_id", "seq"),
)

fleet_events = sa.Table(
    "fleet_events",
    metadata,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("at", sa.Float(), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("ref", sa.String(128)),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
    sa.Index("ix_fleet_events_kiosk_seq", "kiosk_id", "seq"),
)

fleet_alerts = sa.Table(
    "fleet_alerts",
    metadata,
    sa.Column("alert_id", _Seq, primary_key=True, autoincrement=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("open_key", sa.String(200), unique=True),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
    sa.Column("opened_at", sa.Float(), nullable=False),
    sa.Column("acknowledged_at", sa.Float()),
    sa.Column("acknowledged_by", sa.String(128)),
    sa.Column("resolved_at", sa.Float()),
)

fleet_commands = sa.Table(
    "fleet_commands",
    metadata,
    sa.Column("command_id", sa.String(128), primary_key=True),
    sa.Column("kiosk_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("arguments_json", sa.Text(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("issued_at", sa.Float(), nullable=False),
    sa.Column("issued_by", sa.String(128), nullable=False),
    sa.Column("expires_at", sa.Float(), nullable=False),
    sa.Column("delivered_at", sa.Float()),
    sa.Column("finished_at", sa.Float()),
    sa.Column("result_json", sa.Text()),
    sa.Index("ix_fleet_commands_kiosk_state", "kiosk_id", "state"),
)

fleet_config = sa.Table(
    "fleet_config",
    metadata,
    sa.Column("scope", sa.String(128), primary_key=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("settings_json", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False),
)
"""`scope` is `*` for the fleet's default, or a kiosk id for that kiosk's override."""

operator_audit = sa.Table(
    "operator_audit",
    metadata,
    sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float(), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
)

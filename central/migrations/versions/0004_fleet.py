"""The fleet: kiosk status, bounded heartbeat history, events, alerts, commands, distributed
configuration and the operator audit.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _status_and_history()
    _alerts_and_commands()
    _config_and_audit()


def _status_and_history() -> None:
    op.create_table(
        "fleet_status",
        sa.Column("kiosk_id", sa.String(128), primary_key=True),
        sa.Column("last_seen", sa.Float(), nullable=False, index=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.Column("days_until_empty", sa.Float()),
    )
    op.create_table(
        "fleet_heartbeats",
        sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.Column("pages_printed_total", sa.BigInteger()),
        sa.Column("pages_left", sa.BigInteger()),
        sa.Column("heartbeat_json", sa.Text(), nullable=False),
        sa.Index("ix_fleet_heartbeats_kiosk_seq", "kiosk_id", "seq"),
    )
    op.create_table(
        "fleet_events",
        sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(128)),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Index("ix_fleet_events_kiosk_seq", "kiosk_id", "seq"),
    )


def _alerts_and_commands() -> None:
    op.create_table(
        "fleet_alerts",
        sa.Column("alert_id", _Seq, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("open_key", sa.String(200), unique=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("acknowledged_at", sa.Float()),
        sa.Column("acknowledged_by", sa.String(128)),
        sa.Column("resolved_at", sa.Float()),
    )
    op.create_table(
        "fleet_commands",
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


def _config_and_audit() -> None:
    op.create_table(
        "fleet_config",
        sa.Column("scope", sa.String(128), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "operator_audit",
        sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "operator_audit",
        "fleet_config",
        "fleet_commands",
        "fleet_alerts",
        "fleet_events",
        "fleet_heartbeats",
        "fleet_status",
    ):
        op.drop_table(table)

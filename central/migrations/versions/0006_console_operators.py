"""The fleet console's operators, their sessions, failed logins (rate limiting) and audit;
indexes for the fleet table's filters.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_operators",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("operator", sa.String(64), nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False, index=True),
    )
    op.create_table(
        "console_login_failures",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(128), nullable=False, index=True),
        sa.Column("at", sa.Float(), nullable=False, index=True),
    )
    op.create_table(
        "console_audit",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False, index=True),
        sa.Column("operator", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
    )

    # the fleet table's filters and counts: by arrival time, and by version and mode (read from
    # the stored heartbeat with the very expression `central.console.fleet_view` queries)
    op.create_index("ix_kiosks_received_at", "kiosks", ["received_at"])
    for key in ("version", "mode"):
        op.execute(f"CREATE INDEX ix_kiosks_{key} ON kiosks ({_json_field(key)})")


def _json_field(key: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"((heartbeat_json::jsonb ->> '{key}'))"
    return f"json_extract(heartbeat_json, '$.{key}')"


def downgrade() -> None:
    for key in ("version", "mode"):
        op.execute(f"DROP INDEX ix_kiosks_{key}")
    op.drop_index("ix_kiosks_received_at", table_name="kiosks")
    op.drop_table("console_audit")
    op.drop_table("console_login_failures")
    op.drop_table("console_sessions")
    op.drop_table("console_operators")

"""The kiosks' staff audit: hash-chained events per kiosk and the chain breaks found on ingest.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_audit_events",
        sa.Column("kiosk_id", sa.String(128), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("event_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "staff_audit_breaks",
        sa.Column(
            "break_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
        ),
        sa.Column("kiosk_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("found_at", sa.Float(), nullable=False),
        sa.Column("received_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("kiosk_id", "seq", "kind", name="uq_staff_audit_breaks"),
    )


def downgrade() -> None:
    op.drop_table("staff_audit_breaks")
    op.drop_table("staff_audit_events")

"""The kiosks' redacted log uploads, kept per kiosk for a limited time.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_uploads",
        sa.Column(
            "upload_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
        ),
        sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
        sa.Column("command_id", sa.String(128)),
        sa.Column("collected_at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False, index=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_uploads")

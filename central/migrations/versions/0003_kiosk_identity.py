"""Kiosk identities (enrollment), one-time enrollment codes, used auth nonces, server secrets.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_identities",
        sa.Column("kiosk_id", sa.String(128), primary_key=True),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.String(40), nullable=False),
        sa.Column("decided_at", sa.String(40)),
    )
    op.create_table(
        "enrollment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("used_by", sa.String(128)),
        sa.Column("used_at", sa.String(40)),
    )
    op.create_table(
        "auth_nonces",
        sa.Column("kiosk_id", sa.String(128), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float(), nullable=False, index=True),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_table("auth_nonces")
    op.drop_table("enrollment_codes")
    op.drop_table("kiosk_identities")

"""Citizen-proof nonces (single use, bound to a kiosk) and the audit of register lookups.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
        sa.Column("issued_at", sa.Float(), nullable=False, index=True),
        sa.Column("used_at", sa.Float()),
    )
    op.create_table(
        "register_lookups",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("national_number_masked", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("register_lookups")
    op.drop_table("citizen_nonces")

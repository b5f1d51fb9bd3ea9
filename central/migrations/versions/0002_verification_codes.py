"""The verification code printed on each document.

12 lower-case hex digits; NULL for documents reported by kiosks that did not send codes yet.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("verification_code", sa.String(12)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("verification_code")

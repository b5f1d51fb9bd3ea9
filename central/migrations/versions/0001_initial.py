"""Records, the documents they report and the kiosks' last heartbeat.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("seq", _Seq, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.UniqueConstraint("kiosk_id", "operation_id", name="uq_records_kiosk_operation"),
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(128), primary_key=True),
        sa.Column("record_seq", _Seq, sa.ForeignKey("records.seq"), nullable=False),
        sa.Column("kiosk_id", sa.String(128), nullable=False),
        sa.Column("document_type", sa.String(64)),
        sa.Column("issued_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "kiosks",
        sa.Column("kiosk_id", sa.String(128), primary_key=True),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("heartbeat_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kiosks")
    op.drop_table("documents")
    op.drop_table("records")

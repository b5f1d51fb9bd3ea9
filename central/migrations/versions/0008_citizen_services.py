"""Citizen services: the resident's keyed reference on documents and the audit of document mails.

`documents.holder_ref` is the central's HMAC of the resident's national number (NULL for documents
of older kiosks); `citizen_mailings` keeps, per mail, the kiosk, the document, the outcome and the
address's domain only.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("holder_ref", sa.String(64)))
        batch.create_index("ix_documents_holder_ref", ["holder_ref"])
    op.create_table(
        "citizen_mailings",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("kiosk_id", sa.String(128), nullable=False, index=True),
        sa.Column("document_id", sa.String(128), nullable=False),
        sa.Column("at", sa.Float(), nullable=False, index=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("address_domain", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("citizen_mailings")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_holder_ref")
        batch.drop_column("holder_ref")

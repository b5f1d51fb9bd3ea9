"""Alembic environment: migrations run on the connection `central.db.migrate` hands over."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from central.db import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError("central migrations run through central.db.migrate(), not the alembic CLI")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

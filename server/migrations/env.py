"""Alembic environment: always run with a connection handed in by `server.db.upgrade`."""

from __future__ import annotations

from alembic import context

from server.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `server.db` runs migrations
    raise RuntimeError("run migrations through `mediate db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

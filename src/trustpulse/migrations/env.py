"""Alembic environment: runs on a connection handed in by code, or on the settings' URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import trustpulse.models  # noqa: F401 -- registers every table on Base.metadata
from trustpulse.config import Settings
from trustpulse.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine") or make_engine(Settings())
    with engine.begin() as conn:
        _run(conn)


run_migrations_online()

"""The Alembic migrations against the models, on both databases: what `upgrade head` builds is
what the models describe, and every migration can be undone and redone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine

import trustpulse.models  # noqa: F401 -- every domain's tables on Base.metadata
from tests.conftest import _create_pg_database, _drop_pg_database
from trustpulse import migrations
from trustpulse.db import Base


def test_the_migrations_build_what_the_models_describe(engine: Engine) -> None:
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_every_migration_goes_down_and_up_again(engine: Engine, tmp_path: Path) -> None:
    # a database of its own: the session's is shared by every test
    url = (
        _create_pg_database()
        if engine.dialect.name == "postgresql"
        else f"sqlite:///{tmp_path / 'migrations.db'}"
    )
    fresh = create_engine(url)
    try:
        migrations.upgrade(fresh, "head")
        tables = set(inspect(fresh).get_table_names())
        assert set(Base.metadata.tables) <= tables
        config = migrations.alembic_config(fresh)
        with fresh.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(fresh).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(fresh, "head")
        assert set(inspect(fresh).get_table_names()) == tables
    finally:
        fresh.dispose()
        if engine.dialect.name == "postgresql":
            _drop_pg_database(url)

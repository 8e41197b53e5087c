"""Test fixtures: every DB test runs on SQLite and PostgreSQL, schema from `alembic upgrade head`.

- `session`: a Session inside a transaction that is rolled back (savepoint per test).
- `committed_engine` / `runtime`: for code that commits itself (importer, CLI, jobs); every table
  is emptied after the test.
PostgreSQL: a fresh database per test session on TRUSTPULSE_TEST_PG_ADMIN_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Missing PostgreSQL skips locally and
fails in CI (CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from trustpulse import db, migrations
from trustpulse.config import Settings
from trustpulse.db import Base
from trustpulse.jobs.queue import InProcessBackend, in_process_backend, use_backend
from trustpulse.metrics import columns
from trustpulse.runtime import Runtime, build_runtime, set_runtime

PG_ADMIN_URL = os.environ.get(
    "TRUSTPULSE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _create_pg_database() -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"trustpulse_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _fresh_score_columns() -> Iterator[None]:
    """The columnar scores (metrics/columns.py) are process-wide, each test has its own data:
    none survives a test (the tables are emptied, SQLite then reuses ids)."""
    yield
    columns.forget()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    if request.param == "sqlite":
        yield Settings(
            home=home, database_url=f"sqlite:///{home / 'test.db'}", config_dir=home / "config"
        )
        return
    url = _create_pg_database()
    yield Settings(home=home, database_url=url, config_dir=home / "config")
    _drop_pg_database(url)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(settings)
    migrations.upgrade(engine, "head")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as conn, conn.begin() as outer:
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


def _empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """The session engine for code that commits; all tables are emptied afterwards."""
    yield engine
    _empty_all_tables(engine)


@pytest.fixture
def runtime(settings: Settings, committed_engine: Engine) -> Iterator[Runtime]:
    runtime = build_runtime(settings, committed_engine)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data not present")
    return SHARED_DATA


@pytest.fixture
def jobs(runtime: Runtime) -> Iterator[InProcessBackend]:
    """An in-process job queue for code that enqueues; call `jobs.drain()` to wait for jobs.

    Jobs open their own sessions, so tests using it commit through `runtime.session_factory`.
    """
    backend = in_process_backend(runtime.settings)
    with use_backend(backend):
        yield backend
        backend.drain()  # no job may outlive the test's tables
    backend.close()

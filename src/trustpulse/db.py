"""Database plumbing: Base, UTC timestamps, the one engine/session factory, session_scope()."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, Dialect, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from trustpulse.clock import utcnow as clock_utcnow
from trustpulse.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere; JSONB on PostgreSQL so payloads can be indexed later.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Time-zone aware timestamps stored in UTC.

    Refuses naive datetimes (a naive value has no defined instant) and attaches UTC on load,
    because SQLite returns naive values even for DateTime(timezone=True).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: attach a time zone")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store them naive-UTC so order is lexical order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 -- SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, from the injectable clock."""
    return clock_utcnow()


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _install_pysqlite_transaction_recipe(engine)
        return engine
    connect_args = {"options": settings.postgres_options} if settings.postgres_options else {}
    kwargs.setdefault("pool_size", settings.database_pool_size)
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def refresh_statistics(session: Session) -> None:
    """ANALYZE on PostgreSQL after a bulk write; nothing on SQLite.

    Until autovacuum comes round, the planner keeps the row counts from before the load: after
    a fresh 1M-row demo it chose nested loops that made the first dashboard queries 2-3x
    slower (12.7 s instead of 5.4 s for one trust-index query)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))


def _install_pysqlite_transaction_recipe(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe: let SQLAlchemy emit BEGIN itself.

    Without it Python's sqlite3 module manages transactions on its own and SAVEPOINTs do not
    isolate (tests would leak rows into each other).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then
        # writes after another thread wrote fails at once with "database is locked" (the busy
        # timeout does not apply to that upgrade). SQLite serialises writers anyway. Read-only
        # work (GET pages) asks for DEFERRED so it runs beside a writer under WAL.
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


SQLITE_BEGIN_OPTION = "trustpulse_sqlite_begin"


def make_session_factory(settings_or_engine: Settings | Engine) -> sessionmaker[Session]:
    engine = (
        make_engine(settings_or_engine)
        if isinstance(settings_or_engine, Settings)
        else settings_or_engine
    )
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """The job/CLI edge: one transaction, committed at the end, rolled back on error.

    `read_only`: rolled back at the end, and on SQLite begun DEFERRED, so long reads (preparing
    dashboard results) never hold the write lock that imports and the scheduler wait for."""
    session = factory()
    if read_only and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})
    try:
        yield session
        if read_only:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request edge: open, roll back on error, close. The route commits.

    A coroutine, so that a write crosses one worker-thread hop (its route) instead of three:
    FastAPI runs a plain generator dependency's opening and its closing on worker threads
    too. Opening does no I/O (the session connects on first use), nor does closing a session
    whose route committed; a session still in a transaction (a read, a failed write) is rolled
    back on a worker thread, shielded from cancellation so the connection always goes back.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        if request.method in {"GET", "HEAD"} and session.get_bind().dialect.name == "sqlite":
            # reads need no write lock: let pages render while a job writes
            await anyio.to_thread.run_sync(_begin_deferred, session)
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close)
        else:
            session.close()


def _begin_deferred(session: Session) -> None:
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})


DbSession = Annotated[Session, Depends(get_session)]

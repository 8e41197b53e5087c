"""UTC timestamps and the savepoint isolation every other test relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from tests.factories import make_brand
from trustpulse.clock import ManualClock, use_clock, utcnow
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.db import DbSession, make_engine, session_scope
from trustpulse.errors import ConflictError
from trustpulse.runtime import Runtime


def test_naive_datetime_is_refused(session: Session) -> None:
    brand = Brand(code="naive", name="N", created_at=datetime(2026, 1, 1))  # noqa: DTZ001
    session.add(brand)
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_aware_datetime_comes_back_as_the_same_instant_in_utc(session: Session) -> None:
    beijing = timezone(timedelta(hours=8))
    brand = Brand(code="tz", name="T", created_at=datetime(2026, 3, 1, 8, 30, tzinfo=beijing))
    session.add(brand)
    session.flush()
    session.expire_all()
    loaded = session.scalars(select(Brand).where(Brand.code == "tz")).one()
    assert loaded.created_at == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert loaded.created_at.tzinfo == UTC


def test_timestamps_compare_in_time_order_in_sql(session: Session) -> None:
    beijing = timezone(timedelta(hours=8))
    make_brand(session, code="early").created_at = datetime(2026, 1, 1, 7, tzinfo=beijing)
    make_brand(session, code="late").created_at = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    session.flush()
    cutoff = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 07:30 Beijing
    codes = session.scalars(select(Brand.code).where(Brand.created_at > cutoff)).all()
    assert codes == ["late"]


def test_each_test_starts_empty_first(session: Session) -> None:
    make_brand(session, code="isolation")
    assert session.scalar(select(func.count()).select_from(Brand)) == 1


def test_each_test_starts_empty_second(session: Session) -> None:
    assert session.scalar(select(func.count()).select_from(Brand)) == 0


def test_manual_clock_moves_only_when_told() -> None:
    start = datetime(2026, 11, 11, tzinfo=UTC)
    with use_clock(ManualClock(start)) as clock:
        assert utcnow() == start
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(minutes=15))
        assert utcnow() == start + timedelta(minutes=15)
    assert utcnow() > start + timedelta(days=1) or utcnow() < start


def test_postgresql_sessions_get_the_planner_settings_and_an_empty_value_keeps_the_server_s(
    session: Session,
) -> None:
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connection options")
    assert session.scalar(text("SHOW random_page_cost")) == "1.1"
    assert session.scalar(text("SHOW jit")) == "off"
    plain = make_engine(
        Settings(
            database_url=str(engine.url.render_as_string(hide_password=False)), postgres_options=""
        )
    )
    try:
        with plain.connect() as connection:
            assert connection.scalar(text("SHOW random_page_cost")) == "4"  # the server default
    finally:
        plain.dispose()


def _session_app(runtime: Runtime) -> FastAPI:
    """Three routes on the real request edge (`get_session`): a committed write, a failed
    write and a read that never commits."""
    app = FastAPI()
    app.state.session_factory = runtime.session_factory

    @app.exception_handler(ConflictError)
    async def _conflict(_request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.message})

    @app.post("/brands/{code}")
    def create(code: str, session: DbSession) -> dict[str, str]:
        session.add(Brand(code=code, name=code))
        session.commit()
        return {"code": code}

    @app.post("/brands/{code}/fail")
    def create_and_fail(code: str, session: DbSession) -> dict[str, str]:
        session.add(Brand(code=code, name=code))
        session.flush()
        raise ConflictError("refused after the flush")

    @app.get("/brands")
    def count(session: DbSession) -> dict[str, int]:
        return {"brands": session.scalar(select(func.count()).select_from(Brand)) or 0}

    return app


def test_request_session_commits_rolls_back_and_gives_its_connection_back(
    runtime: Runtime,
) -> None:
    pool = runtime.engine.pool
    assert isinstance(pool, QueuePool)
    with TestClient(_session_app(runtime)) as client:
        assert client.post("/brands/kept").status_code == 200
        assert client.post("/brands/lost/fail").status_code == 409
        assert client.get("/brands").json() == {"brands": 1}
        assert pool.checkedout() == 0
    with session_scope(runtime.session_factory) as session:
        assert list(session.scalars(select(Brand.code))) == ["kept"]

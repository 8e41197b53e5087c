"""Fixtures for pages that work complaints: a manual clock, the app on the test session with
jobs held (the session never commits), the acme desk and its API helper, brand overrides.

Test modules star-import them (named imports would read as redefined by the test arguments);
tests/web/conftest.py keeps its plain `client` for the other pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.complaints.conftest import START, Api, Desk, HeldJobs, brand_config, make_desk
from trustpulse.app import create_app
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.jobs.queue import use_backend

__all__ = ["api", "brand_config", "client", "clock", "desk"]


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    manual = ManualClock(START)
    with use_clock(manual):
        yield manual


@pytest.fixture
def client(
    settings: Settings, engine: Engine, session: Session, clock: ManualClock
) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with use_backend(HeldJobs()), TestClient(app) as client:
        yield client


@pytest.fixture
def desk(session: Session) -> Desk:
    return make_desk(session)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)

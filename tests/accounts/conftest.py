"""Fixtures for the security switch: the app with a dashboard password on the test session, and
clients that carry no login, the password by HTTP Basic, or a session from the login form."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.complaints.conftest import HeldJobs
from trustpulse.accounts.security import SESSION_COOKIE
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.jobs.queue import use_backend

PASSWORD = "correct horse 电池"  # noqa: S105 -- a test password; not ASCII on purpose


def basic(password: str, user: str = "anyone") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def secured(settings: Settings, password: str = PASSWORD) -> Settings:
    """`settings` with security switched on."""
    return settings.model_copy(update={"dashboard_password": SecretStr(password)})


def log_in(client: TestClient, password: str = PASSWORD, next_: str = "/") -> str:
    """Log in through the form; returns the session cookie the client now carries."""
    response = client.post("/login", data={"password": password, "next": next_})
    assert response.status_code == 303, response.text
    return client.cookies[SESSION_COOKIE]


@pytest.fixture
def secure_app(settings: Settings, engine: Engine, session: Session) -> FastAPI:
    app = create_app(secured(settings), engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    return app


@pytest.fixture
def anonymous(secure_app: FastAPI) -> Iterator[TestClient]:
    """A client of the secured app that follows no redirects (each test may log it in)."""
    with use_backend(HeldJobs()), TestClient(secure_app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    """The app as it ships for the embedded demo: no dashboard password."""
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, follow_redirects=False) as client:
        yield client

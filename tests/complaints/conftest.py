"""Fixtures for complaint tests: an API client on the test session, agents, a moving clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.accounts import service as accounts
from trustpulse.accounts.schemas import TeamCreate, UserCreate
from trustpulse.app import create_app
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.jobs.queue import use_backend

# Monday 2025-06-09 10:00 in Shanghai: inside business hours, no holiday near
START = datetime(2025, 6, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    manual = ManualClock(START)
    with use_clock(manual):
        yield manual


class HeldJobs:
    """A queue that keeps jobs instead of running them: the test session's rows never commit,
    so a job (e.g. delivering a progress notice) could not see them anyway."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str]] = []

    def enqueue_json(self, name: str, payload_json: str) -> None:
        self.jobs.append((name, payload_json))

    def close(self) -> None:
        self.jobs.clear()


@pytest.fixture
def client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with use_backend(HeldJobs()), TestClient(app) as client:
        yield client


@dataclass
class Desk:
    """A brand with one team: lead Li (also an agent), agents Wang and Zhao."""

    brand_id: int
    team_id: int
    lead: int
    wang: int
    zhao: int


def make_desk(session: Session, *, brand: str = "acme") -> Desk:
    brand_row = make_brand(session, code=brand)
    ids = {
        name: accounts.create_user(
            session, UserCreate(username=f"{name}-{brand}", display_name=name.title())
        ).id
        for name in ("li", "wang", "zhao")
    }
    team = accounts.create_team(
        session,
        TeamCreate(
            name="care", brand_id=brand_row.id, lead_id=ids["li"], member_ids=list(ids.values())
        ),
    )
    return Desk(brand_row.id, team.id, ids["li"], ids["wang"], ids["zhao"])


@pytest.fixture
def desk(session: Session) -> Desk:
    return make_desk(session)


class Api:
    """Small helpers so tests read as the agent's actions."""

    def __init__(self, client: TestClient, brand: str = "acme") -> None:
        self.client, self.brand = client, brand

    def open(self, **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/complaints?brand={self.brand}", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def act(self, complaint: dict[str, Any], action: str, **body: Any) -> Any:
        """POST an action with the version the caller last saw; returns the response."""
        body.setdefault("version", complaint["version"])
        return self.client.post(
            f"/api/complaints/{complaint['id']}/{action}?brand={self.brand}", json=body
        )

    def ok(self, complaint: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
        response = self.act(complaint, action, **body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, complaint_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/complaints/{complaint_id}?brand={self.brand}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def sla(complaint: dict[str, Any], target: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in complaint["sla"] if t["target"] == target)
    return found


def kinds(complaint: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in complaint["events"]]


@pytest.fixture
def brand_config(settings: Settings) -> Iterator[Callable[[str, str, str], None]]:
    """Write a brand override (brands/<brand>/<name>.yaml) for one test; removed afterwards."""
    written: list[Path] = []

    def write(brand: str, name: str, text: str) -> None:
        path = settings.effective_config_dir / "brands" / brand / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    yield write
    for path in written:
        path.unlink()

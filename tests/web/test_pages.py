"""The first dashboard page: feedback counts per channel and month, in the brand's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.feedback.models import Feedback, FeedbackKind


@pytest.fixture
def client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client


def _feedback(
    session: Session, brand_id: int, n: int, *, at: datetime, channel: str, text: str
) -> None:
    for i in range(n):
        session.add(
            Feedback(
                brand_id=brand_id,
                kind=FeedbackKind.review,
                channel=channel,
                occurred_at=at,
                text=text,
                source="test",
                external_id=f"{channel}-{at.isoformat()}-{i}",
                content_hash="x",
                raw={},
            )
        )
    session.flush()


def test_overview_counts_per_channel_and_month_in_brand_zone(
    client: TestClient, session: Session
) -> None:
    brand = make_brand(session, code="acme")
    # 2026-01-31 17:00 UTC is 2026-02-01 01:00 in Shanghai: it belongs to February
    _feedback(
        session, brand.id, 3, at=datetime(2026, 1, 31, 17, tzinfo=UTC), channel="weibo", text="ok"
    )
    _feedback(session, brand.id, 2, at=datetime(2026, 1, 15, tzinfo=UTC), channel="jd", text="fine")
    page = client.get("/?brand=acme&lang=en")
    assert page.status_code == 200
    html = page.text
    assert "<td>2026-01</td><td>2</td><td>0</td><td>2</td>" in html
    assert "<td>2026-02</td><td>0</td><td>3</td><td>3</td>" in html


def test_overview_speaks_chinese_by_default(client: TestClient, session: Session) -> None:
    make_brand(session, code="acme")
    assert "各渠道月度反馈量" in client.get("/").text
    assert "Feedback by channel and month" in client.get("/?lang=en").text


def test_brand_name_with_markup_renders_inert(client: TestClient, session: Session) -> None:
    make_brand(session, code="evil").name = "<script>alert(1)</script>{{ 7*7 }}"
    session.flush()
    html = client.get("/?brand=evil").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html


def test_health_and_version(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/api/version").json()["version"]
    assert client.get("/api/openapi.json").status_code == 200

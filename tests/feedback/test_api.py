"""The feedback API: submit validated exactly like the importer, list and get brand-scoped."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.feedback.models import Feedback


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine=session.get_bind().engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as test_client:
        yield test_client


def test_submit_rejects_nps_11_like_the_importer(client: TestClient) -> None:
    response = client.post(
        "/api/feedback?brand=acme",
        json={"kind": "survey", "occurred_at": "2026-03-05 10:00", "nps": 11},
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["row"], body["field"]) == ("invalid_input", 1, "nps")
    assert body["reason"] == "nps must be a whole number from 0 to 10, got 11"
    assert body["detail"] == body["reason"]


def test_submit_list_and_get(client: TestClient) -> None:
    created = client.post(
        "/api/feedback?brand=acme",
        json={
            "kind": "review",
            "occurred_at": "2026-03-05T10:00:00+08:00",
            "text": " 送餐很快 \r\n",
            "rating": 5,
            "channel": "app",
        },
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["text"] == " 送餐很快 \r\n"
    assert item["scores"] == {"rating": 5.0}
    assert item["occurred_at"].startswith("2026-03-05T02:00:00")
    page = client.get("/api/feedback", params={"brand": "acme", "channel": "app"}).json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == item["id"]
    assert client.get(f"/api/feedback/{item['id']}?brand=acme").status_code == 200
    assert client.get(f"/api/feedback/{item['id']}?brand=other").status_code == 404


def test_submit_requires_text_for_reviews(client: TestClient) -> None:
    response = client.post(
        "/api/feedback?brand=acme", json={"kind": "review", "occurred_at": "2026-03-05"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "text"


PHONE, ID_NUMBER = "13812345678", "11010519491231002X"  # the ID passes its checksum


def test_text_leaves_the_api_redacted_and_stays_raw_in_the_restricted_column(
    client: TestClient, session: Session
) -> None:
    text = f"退款还没到，电话{PHONE}，身份证{ID_NUMBER}"
    created = client.post(
        "/api/feedback?brand=acme",
        json={"kind": "review", "occurred_at": "2026-03-05T10:00:00+08:00", "text": text},
    )
    assert created.status_code == 201, created.text
    redacted = "退款还没到，电话[PHONE]，身份证[ID_NUMBER]"
    feedback_id = created.json()["id"]
    assert created.json()["text"] == redacted
    stored = session.get(Feedback, feedback_id)
    assert stored is not None
    assert stored.text == text
    # raw: an import's unmapped columns (the API stores none), set as the importer would
    stored.raw = {"备注": f"身份证 {ID_NUMBER}", "联系": {"手机": PHONE}}
    session.flush()
    served = [
        client.get(f"/api/feedback/{feedback_id}?brand=acme").json(),
        client.get("/api/feedback?brand=acme").json()["items"][0],
    ]
    for item in served:
        assert item["text"] == redacted
        assert item["raw"] == {"备注": "身份证 [ID_NUMBER]", "联系": {"手机": "[PHONE]"}}
        assert PHONE not in json.dumps(item)
        assert ID_NUMBER not in json.dumps(item)

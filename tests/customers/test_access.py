"""Brand access by actor: the access functions and the API's `brand` parameter (STYLE.md §2).

A brand outside the actor's scope is NotFoundError / 404, indistinguishable from a missing one;
the embedded local user and the system actor see every brand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.accounts.actors import LOCAL_USER, SYSTEM, Actor, current_actor
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import get_session
from trustpulse.errors import NotFoundError
from trustpulse.feedback.models import Feedback
from trustpulse.feedback.schemas import FeedbackCreate
from trustpulse.feedback.service import submit_feedback

BETA_ONLY = Actor("beta-analyst", brands=frozenset({"beta"}))
REVIEW = {"kind": "review", "occurred_at": "2026-03-05 10:00", "rating": 2}


@pytest.fixture
def acme_review(session: Session) -> int:
    make_brand(session, code="beta")
    data = FeedbackCreate.model_validate({**REVIEW, "text": "acme-only secret"})
    return submit_feedback(session, data, brand="acme").id


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    app = create_app(settings, engine=session.get_bind().engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as test_client:
        yield test_client


def act_as(client: TestClient, actor: Actor) -> None:
    client.app.dependency_overrides[current_actor] = lambda: actor  # type: ignore[attr-defined]


@pytest.mark.usefixtures("acme_review")
def test_get_brand_outside_the_scope_raises_exactly_as_for_a_missing_brand(
    session: Session,
) -> None:
    with pytest.raises(NotFoundError) as other:
        customers.get_brand(session, "acme", actor=BETA_ONLY)
    with pytest.raises(NotFoundError) as missing:
        customers.get_brand(session, "nosuch", actor=BETA_ONLY)
    assert (other.value.message, other.value.details) == (
        "brand 'acme' not found",
        {"brand": "acme"},
    )
    assert missing.value.message == "brand 'nosuch' not found"
    assert customers.get_brand(session, "beta", actor=BETA_ONLY).code == "beta"


@pytest.mark.usefixtures("acme_review")
def test_list_brands_is_scoped_and_the_local_user_and_system_see_all(session: Session) -> None:
    assert [b.code for b in customers.list_brands(session, actor=BETA_ONLY)] == ["beta"]
    for actor in (LOCAL_USER, SYSTEM):
        assert [b.code for b in customers.list_brands(session, actor=actor)] == ["acme", "beta"]


def test_another_brands_feedback_is_404_exactly_like_a_missing_brand(
    client: TestClient, acme_review: int
) -> None:
    act_as(client, BETA_ONLY)
    other = client.get("/api/feedback", params={"brand": "acme"})
    missing = client.get("/api/feedback", params={"brand": "nosuch"})
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json() == {
        "detail": "brand 'acme' not found",
        "code": "not_found",
        "brand": "acme",
    }
    assert missing.json() == {
        **other.json(),
        "detail": "brand 'nosuch' not found",
        "brand": "nosuch",
    }
    one = client.get(f"/api/feedback/{acme_review}", params={"brand": "acme"})
    assert (one.status_code, one.json()["code"]) == (404, "not_found")
    assert "secret" not in other.text + one.text
    assert client.get("/api/feedback", params={"brand": "beta"}).json()["total"] == 0


@pytest.mark.usefixtures("acme_review")
def test_a_scoped_user_cannot_write_to_another_brand(client: TestClient, session: Session) -> None:
    act_as(client, BETA_ONLY)
    response = client.post("/api/feedback?brand=acme", json={**REVIEW, "text": "planted"})
    assert response.status_code == 404
    assert session.scalar(select(func.count()).select_from(Feedback)) == 1
    own = client.post("/api/feedback?brand=beta", json={**REVIEW, "text": "fine"})
    assert own.status_code == 201, own.text


@pytest.mark.usefixtures("acme_review")
@pytest.mark.parametrize("path", ["/api/metrics/nps", "/api/transparency/snapshots"])
def test_a_scoped_user_must_name_a_brand_where_none_means_every_brand(
    client: TestClient, path: str
) -> None:
    act_as(client, BETA_ONLY)
    pooled = client.get(path)
    assert (pooled.status_code, pooled.json()["field"]) == (422, "brand")
    assert client.get(path, params={"brand": "acme"}).status_code == 404
    assert client.get(path, params={"brand": "beta"}).status_code == 200


def test_the_local_user_sees_every_brand_through_the_api(
    client: TestClient, acme_review: int
) -> None:
    page = client.get("/api/feedback", params={"brand": "acme"}).json()
    assert [item["id"] for item in page["items"]] == [acme_review]
    assert client.get("/api/feedback", params={"brand": "beta"}).status_code == 200
    assert client.get("/api/metrics/nps").status_code == 200

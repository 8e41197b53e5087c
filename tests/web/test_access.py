"""Pages run as the request's actor: a user scoped to some brands sees only those (404 otherwise,
exactly as for a missing brand); the embedded local user sees every brand."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.accounts.actors import Actor, current_actor

BETA_ONLY = Actor("beta-analyst", brands=frozenset({"beta"}))
BRAND_SELECT = re.compile(r'<select name="brand">(.*?)</select>', re.S)
OPTION_VALUE = re.compile(r'<option value="([^"]*)"')


@pytest.fixture(autouse=True)
def brands(session: Session) -> None:
    make_brand(session, code="acme")
    make_brand(session, code="beta")


def act_as(client: TestClient, actor: Actor) -> None:
    client.app.dependency_overrides[current_actor] = lambda: actor  # type: ignore[attr-defined]


def brand_choices(html: str) -> list[str]:
    select = BRAND_SELECT.search(html)
    assert select is not None
    return OPTION_VALUE.findall(select.group(1))


@pytest.mark.parametrize("path", ["/", "/complaints", "/voc", "/transparency"])
def test_another_brands_page_is_404_exactly_like_a_missing_brand(
    client: TestClient, path: str
) -> None:
    act_as(client, BETA_ONLY)
    other = client.get(path, params={"brand": "acme", "lang": "en"})
    missing = client.get(path, params={"brand": "nosuch", "lang": "en"})
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.text.replace("acme", "nosuch") == missing.text


def test_a_scoped_user_is_shown_and_offered_only_its_brands(client: TestClient) -> None:
    act_as(client, BETA_ONLY)
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert brand_choices(page.text) == ["beta"]
    assert "Acme" not in page.text


def test_a_user_scoped_to_no_existing_brand_sees_nothing_rather_than_every_brand(
    client: TestClient,
) -> None:
    act_as(client, Actor("gamma-analyst", brands=frozenset({"gamma"})))
    assert client.get("/?lang=en").status_code == 404


def test_the_local_user_sees_every_brand(client: TestClient) -> None:
    page = client.get("/?brand=acme&lang=en")
    assert page.status_code == 200
    assert brand_choices(page.text) == ["acme", "beta"]
    assert client.get("/?brand=beta&lang=en").status_code == 200

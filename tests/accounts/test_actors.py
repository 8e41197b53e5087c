"""The login is enforced where the actor is built: with a dashboard password set, every route
that is not public refuses an anonymous request (401 + Basic challenge under /api, a redirect to
/login for pages), and the API takes the password by HTTP Basic with any user name."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.accounts.conftest import PASSWORD, basic, log_in

# What anyone may open with security on: the customer's own case and survey (pages and API, by
# token), published transparency figures, the login itself, assets, and health/version.
PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/api/version"),
    ("GET", "/api/complaints/status/{token}"),
    ("GET", "/api/complaints/followup/{token}"),
    ("POST", "/api/complaints/followup/{token}"),
    ("GET", "/public/{brand}/transparency"),
    ("GET", "/case/{token}"),
    ("GET", "/survey/{token}"),
    ("POST", "/survey/{token}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/static/{path:path}"),
}
SAMPLE = {"fmt": "pdf", "slot": "alerts", "path:path": "app.css", "metric": "nps"}
PARAM = re.compile(r"\{([^}]+)\}")


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        assert route.path is not None
        found.extend((method, route.path) for method in sorted(route.methods or ()))
    return found


def _sample_url(path: str) -> str:
    """The route's path with each parameter filled in (ids are 1, other names a word)."""
    return PARAM.sub(lambda m: SAMPLE.get(m.group(1), "1" if "id" in m.group(1) else "x"), path)


def test_every_route_but_the_public_ones_refuses_an_anonymous_request(
    secure_app: FastAPI, anonymous: TestClient
) -> None:
    routes = _routes(secure_app)
    assert set(routes) >= PUBLIC  # the list above names real routes
    guarded = [(method, path) for method, path in routes if (method, path) not in PUBLIC]
    assert len(guarded) > 40
    refused = {}
    for method, path in guarded:
        response = anonymous.request(method, _sample_url(path))
        location = response.headers.get("location", "")
        if path.startswith("/api/"):
            challenge = response.headers.get("www-authenticate", "")
            refused[method, path] = response.status_code == 401 and challenge.startswith("Basic")
        else:
            refused[method, path] = response.status_code == 303 and location.startswith(
                "/login?next="
            )
    assert [route for route, ok in refused.items() if not ok] == []


def test_public_routes_answer_an_anonymous_request_themselves(
    secure_app: FastAPI, anonymous: TestClient
) -> None:
    for method, path in sorted(PUBLIC):
        response = anonymous.request(method, _sample_url(path))
        assert response.status_code != 401, (method, path)
        assert not response.headers.get("location", "").startswith("/login?next="), path


def test_the_api_refuses_no_or_a_wrong_password_with_a_basic_challenge(
    anonymous: TestClient,
) -> None:
    for headers in ({}, basic("wrong"), basic(PASSWORD.upper()), {"Authorization": "Basic ###"}):
        response = anonymous.get("/api/transparency/snapshots", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="TrustPulse", charset="UTF-8"'
        body = response.json()
        assert body["code"] == "login_required"
        assert "HTTP Basic" in body["detail"]


def test_the_api_takes_the_password_by_basic_auth_with_any_user_name(
    anonymous: TestClient,
) -> None:
    for user in ("anyone", "script", ""):
        response = anonymous.get("/api/transparency/snapshots", headers=basic(PASSWORD, user))
        assert response.status_code == 200
        assert response.json() == []
    docs = anonymous.get("/api/openapi.json", headers=basic(PASSWORD))
    assert docs.status_code == 200
    assert "/api/complaints" in docs.json()["paths"]


def test_a_logged_in_browser_may_call_the_api_with_its_session(anonymous: TestClient) -> None:
    log_in(anonymous)
    assert anonymous.get("/api/transparency/snapshots").status_code == 200
    assert anonymous.get("/api/docs").status_code == 200


def test_without_a_password_every_request_runs_as_the_local_user(client: TestClient) -> None:
    assert client.get("/api/transparency/snapshots").status_code == 200
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert 'id="logout"' not in page.text


def test_wrong_basic_passwords_lock_the_address_out_like_the_login_form(
    anonymous: TestClient,
) -> None:
    session = TestClient(anonymous.app, follow_redirects=False)
    log_in(session)  # a browser that logged in before the guessing started
    for _ in range(5):
        assert (
            anonymous.get("/api/transparency/snapshots", headers=basic("guess")).status_code == 401
        )
    locked = anonymous.get("/api/transparency/snapshots", headers=basic(PASSWORD))
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert 0 < int(locked.json()["retry_after_seconds"]) <= 15 * 60
    assert anonymous.post("/login", data={"password": PASSWORD}).status_code == 429
    assert session.get("/api/transparency/snapshots").status_code == 200  # sessions still pass

"""The login page, the session cookie, logout, `next`, the same-site rule for writes, and the
customer's pages that stay open (security switched on with a dashboard password)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.accounts.conftest import PASSWORD, basic, log_in, secured
from tests.complaints.conftest import HeldJobs, make_desk
from trustpulse.accounts.security import SESSION_COOKIE, build_guard
from trustpulse.app import create_app
from trustpulse.clock import ManualClock, use_clock, utcnow
from trustpulse.complaints.models import Complaint
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.jobs.queue import use_backend
from trustpulse.web.login import safe_next

FOREIGN = "http://evil.example"


def _next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


def test_a_page_sends_the_browser_to_login_and_back_where_it_was(anonymous: TestClient) -> None:
    response = anonymous.get("/voc?brand=acme&lang=en")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?")
    assert _next_of(location) == "/voc?brand=acme&lang=en"
    form = anonymous.get(location)
    assert form.status_code == 200
    assert "<h1>Log in</h1>" in form.text  # ?lang=en was carried to the login page
    assert 'name="next" value="/voc?brand=acme&amp;lang=en"' in form.text
    assert 'id="logout"' not in form.text
    done = anonymous.post("/login", data={"password": PASSWORD, "next": _next_of(location)})
    assert (done.status_code, done.headers["location"]) == (303, "/voc?brand=acme&lang=en")


def test_the_login_page_speaks_both_languages(anonymous: TestClient) -> None:
    chinese = anonymous.get("/login?lang=zh-CN")
    assert "<h1>登录</h1>" in chinese.text
    assert "访问此仪表盘需要输入密码。" in chinese.text
    english = anonymous.get("/login?lang=en")
    assert "This dashboard asks for a password." in english.text
    assert english.cookies.get("tp_lang") == "en"


def test_a_wrong_password_shows_one_error_and_sets_no_cookie(anonymous: TestClient) -> None:
    for wrong in ("", "wrong", PASSWORD.upper()):
        response = anonymous.post("/login?lang=en", data={"password": wrong, "next": "/voc"})
        assert response.status_code == 200
        assert "Login failed: check the password and try again." in response.text
        assert 'name="next" value="/voc"' in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    chinese = anonymous.post("/login?lang=zh-CN", data={"password": "wrong"})
    assert "登录失败：请检查密码后重试。" in chinese.text
    assert anonymous.get("/").status_code == 303


def test_the_right_password_sets_a_signed_http_only_cookie(anonymous: TestClient) -> None:
    response = anonymous.post("/login", data={"password": PASSWORD, "next": "/complaints"})
    assert (response.status_code, response.headers["location"]) == (303, "/complaints")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Max-Age=43200", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # development: served over plain HTTP
    page = anonymous.get("/?lang=en")
    assert page.status_code == 200
    assert '<form class="logout" method="post" action="/logout">' in page.text
    assert anonymous.get("/login?next=/voc").headers["location"] == "/voc"  # already in


def test_production_sets_the_cookie_for_https_only(
    settings: Settings, engine: Engine, session: Session
) -> None:
    production = secured(settings).model_copy(
        update={"environment": "production", "secret_key": SecretStr("p" * 40)}
    )
    app = create_app(production, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, follow_redirects=False) as client:
        response = client.post("/login", data={"password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


def test_logout_clears_the_cookie(anonymous: TestClient) -> None:
    log_in(anonymous)
    response = anonymous.post("/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert 'tp_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert anonymous.get("/").status_code == 303
    assert anonymous.get("/api/transparency/snapshots").status_code == 401


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: "eyJzdWIiOiJsb2NhbCIsImV4cCI6NDAwMDAwMDAwMH0." + t.split(".")[1],  # payload
        lambda t: t.split(".")[0],  # no signature
        lambda t: "x" + t,
    ],
)
def test_a_tampered_session_cookie_is_refused(anonymous: TestClient, tamper: object) -> None:
    token = log_in(anonymous)
    assert callable(tamper)
    anonymous.cookies.clear()
    anonymous.cookies.set(SESSION_COOKIE, tamper(token))
    assert anonymous.get("/").status_code == 303
    assert anonymous.get("/api/transparency/snapshots").status_code == 401


def test_a_session_signed_with_another_password_is_refused(
    anonymous: TestClient, settings: Settings
) -> None:
    other = build_guard(secured(settings, password="an old password"))  # noqa: S106 -- a test password
    assert other is not None
    anonymous.cookies.set(SESSION_COOKIE, other.issue_session())
    assert anonymous.get("/").status_code == 303


def test_a_session_expires_after_twelve_hours(anonymous: TestClient) -> None:
    clock = ManualClock(utcnow())
    with use_clock(clock):
        log_in(anonymous)
        clock.advance(timedelta(hours=11, minutes=59))
        assert anonymous.get("/").status_code == 200
        clock.advance(timedelta(minutes=2))
        assert anonymous.get("/").status_code == 303
        assert anonymous.get("/api/transparency/snapshots").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/login?next=//evil.example",
        "",
    ],
)
def test_next_never_leads_off_the_site(anonymous: TestClient, target: str) -> None:
    assert safe_next(target) == "/"
    response = anonymous.post("/login", data={"password": PASSWORD, "next": target})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    form = anonymous.get("/login", params={"next": target})
    assert form.status_code == 303  # logged in now: straight on, to the overview
    assert form.headers["location"] == "/"


def test_next_keeps_a_path_on_this_site(anonymous: TestClient) -> None:
    assert safe_next("/complaints/3?brand=acme#timeline") == "/complaints/3?brand=acme#timeline"
    form = anonymous.get("/login", params={"next": "https://evil.example/"})
    assert 'name="next" value="/"' in form.text


def test_a_refused_form_post_comes_back_to_the_overview_after_login(
    anonymous: TestClient,
) -> None:
    response = anonymous.post("/complaints/1/acknowledge", data={"version": "1"})
    assert response.status_code == 303
    assert _next_of(response.headers["location"]) == "/"


def test_writes_from_another_site_are_refused(anonymous: TestClient) -> None:
    log_in(anonymous)
    action = "/complaints/1/acknowledge?brand=acme"
    for headers in ({"Origin": FOREIGN}, {"Referer": f"{FOREIGN}/page"}, {"Origin": "null"}):
        response = anonymous.post(action, data={"version": "1"}, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "cross_site_request"
    login = anonymous.post("/login", data={"password": PASSWORD}, headers={"Origin": FOREIGN})
    assert login.status_code == 403
    api = anonymous.post(
        "/api/complaints?brand=acme", json={}, headers={**basic(PASSWORD), "Origin": FOREIGN}
    )
    assert api.status_code == 403
    for same_site in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/x"}, {}):
        response = anonymous.post(action, data={"version": "1"}, headers=same_site)
        assert response.status_code != 403
    assert anonymous.get("/?lang=en", headers={"Origin": FOREIGN}).status_code == 200


def test_without_a_password_there_is_no_login_and_no_origin_rule(
    settings: Settings, engine: Engine, session: Session
) -> None:
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/login?next=/voc").headers["location"] == "/voc"
        assert client.post("/logout").headers["location"] == "/"
        response = client.post("/login", data={"password": "x"}, headers={"Origin": FOREIGN})
        assert response.status_code == 303
        page = client.get("/?lang=en")
        assert page.status_code == 200
        assert 'id="logout"' not in page.text


def test_the_customers_pages_open_without_login(
    settings: Settings, engine: Engine, session: Session
) -> None:
    desk = make_desk(session)
    app = create_app(secured(settings), engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with use_backend(HeldJobs()), TestClient(app, follow_redirects=False) as client:
        opened = client.post(
            "/api/complaints?brand=acme",
            json={
                "title": "包裹延误",
                "severity": "P2",
                "channel": "hotline",
                "team_id": desk.team_id,
            },
            headers=basic(PASSWORD),
        )
        assert opened.status_code == 201, opened.text
        token = session.get_one(Complaint, opened.json()["id"]).status_token
        page = client.get(f"/case/{token}?lang=en")
        assert page.status_code == 200
        assert "Your case" in page.text
        assert client.get(f"/api/complaints/status/{token}").status_code == 200
        assert client.get("/public/acme/transparency").status_code == 404  # nothing published
        assert client.get("/static/app.css").status_code == 200
        assert client.get(f"/complaints/{opened.json()['id']}?brand=acme").status_code == 303


def test_five_wrong_passwords_lock_the_address_out_for_fifteen_minutes(
    anonymous: TestClient,
) -> None:
    clock = ManualClock(utcnow())
    with use_clock(clock):
        for _ in range(5):
            assert anonymous.post("/login", data={"password": "guess"}).status_code == 200
        locked = anonymous.post("/login?lang=en", data={"password": PASSWORD, "next": "/voc"})
        assert locked.status_code == 429  # even the right password, while locked out
        assert int(locked.headers["retry-after"]) == 15 * 60
        assert "Too many failed attempts: try again in 15 min." in locked.text
        assert SESSION_COOKIE not in locked.headers.get("set-cookie", "")
        clock.advance(timedelta(minutes=14, seconds=59))
        assert anonymous.post("/login", data={"password": PASSWORD}).status_code == 429
        clock.advance(timedelta(seconds=1))
        done = anonymous.post("/login", data={"password": PASSWORD, "next": "/voc"})
        assert (done.status_code, done.headers["location"]) == (303, "/voc")
        # a success starts the count afresh: four wrong ones do not lock out again
        for _ in range(4):
            anonymous.post("/login", data={"password": "guess"})
        assert anonymous.post("/login", data={"password": PASSWORD}).status_code == 303

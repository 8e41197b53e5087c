"""Logging in and out while security is on (accounts/security.py; docs/dashboard.md, "Access").

`/login?next=/voc%3Fbrand%3Daurora` shows the password form in the page's language. The right
password sets the signed session cookie and goes on to `next`, which is only ever a path on this
site (anything else goes to /: no open redirect). A wrong one shows the form again with one
message that hints at nothing; after 5 wrong ones from one address within 15 minutes, that
address is refused (429, Retry-After) until the window has passed. `POST /logout` clears the
cookie. With security off there is nothing to log into: both go straight on to the dashboard.
"""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from trustpulse.accounts.security import SESSION_COOKIE, Guard, LoginThrottle
from trustpulse.web.context import LANG_COOKIE, TEMPLATES, choose_locale
from trustpulse.web.i18n import formatter, parse_locale

router = APIRouter(include_in_schema=False)
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_NOT_AFTER_LOGIN = frozenset({"/login", "/logout"})


def safe_next(value: str | None) -> str:
    """`value` if it is a path on this site, else "/". Refuses scheme-relative `//host`, `/\\host`
    (browsers read a backslash as a slash), absolute URLs and control characters."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in _NOT_AFTER_LOGIN:
        return "/"
    return value


def login_redirect(request: Request) -> RedirectResponse:
    """Where an anonymous browser request is sent: the login page, then back where it was (a
    form post, which cannot be replayed by a redirect, comes back to the overview)."""
    target = "/"
    if request.method in _SAFE_METHODS:
        query = request.url.query
        target = request.url.path + (f"?{query}" if query else "")
    params = {"next": safe_next(target)}
    lang = parse_locale(request.query_params.get("lang"))
    if lang is not None:  # the login page speaks the language asked for
        params["lang"] = lang
    return RedirectResponse(f"/login?{urlencode(params)}", status_code=303)


def _guard(request: Request) -> Guard | None:
    guard: Guard | None = request.app.state.guard
    return guard


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _form(
    request: Request,
    target: str,
    *,
    failed: bool,
    wait_minutes: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The form, 200 either way (a 401 would need a WWW-Authenticate challenge, and that makes
    browsers pop up their own password dialog)."""
    i = formatter(choose_locale(request))
    other = "en" if i.locale == "zh-CN" else "zh-CN"
    response = TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {
            "i": i,
            "_": i.gettext,
            "locale": i.locale,
            "next": target,
            "failed": failed,
            "wait_minutes": wait_minutes,
            "other_locale": other,
            "switch_url": f"/login?{urlencode({'next': target, 'lang': other})}",
        },
        status_code=status,
    )
    lang = parse_locale(request.query_params.get("lang"))
    if lang is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/login")
def login_form(
    request: Request, next_: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    target = safe_next(next_)
    guard = _guard(request)
    if guard is None or guard.session_is_valid(request.cookies.get(SESSION_COOKIE)):
        return RedirectResponse(target, status_code=303)
    return _form(request, target, failed=False)


@router.post("/login")
def login(
    request: Request,
    password: Annotated[str, Form()] = "",
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    target = safe_next(next_)
    guard = _guard(request)
    if guard is None:
        return RedirectResponse(target, status_code=303)
    throttle: LoginThrottle = request.app.state.login_throttle
    client = _client(request)
    wait = throttle.retry_after(client)
    if wait is not None:  # too many wrong passwords from here: not even the right one now
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        refused = _form(request, target, failed=False, wait_minutes=minutes, status=429)
        refused.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
        return refused
    if not guard.password_matches(password):
        throttle.failed(client)
        return _form(request, target, failed=True)
    throttle.succeeded(client)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        guard.issue_session(),
        max_age=int(guard.lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=guard.secure_cookie,
    )
    return response


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    guard = _guard(request)
    response = RedirectResponse("/login" if guard is not None else "/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=guard.secure_cookie if guard is not None else False,
    )
    return response

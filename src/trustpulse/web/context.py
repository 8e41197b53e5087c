"""What every page shares: the global filters (kept in the URL), the locale, navigation, render.

Filters are plain query parameters (`?brand=aurora&channel=jd&since=2026-01-01&until=...
&segment=family&lang=en`), so a view can be shared by copying its address. The language comes
from `?lang=`, then the `tp_lang` cookie (set whenever `?lang=` is given), then settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from trustpulse.accounts.actors import Actor
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.errors import InvalidInputError, NotFoundError, TrustPulseError
from trustpulse.metrics import cache
from trustpulse.metrics.periods import period_bounds
from trustpulse.metrics.query import Slice
from trustpulse.reports.choices import filter_choices
from trustpulse.web.i18n import N_, Formatter, Locale, formatter, parse_locale
from trustpulse.web.labels import catalogue_names, label

LANG_COOKIE = "tp_lang"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["label"] = label  # names for codes (web/labels.py)

# (path, label, ready): the slots of issues still to land stay visible but inert
NAVIGATION: tuple[tuple[str, str, bool], ...] = (
    ("/", N_("Overview"), True),
    ("/complaints", N_("Complaints"), True),
    ("/voc", N_("Voice of the customer"), True),
    ("/drivers", N_("Drivers & segments"), True),
    ("/improvements", N_("Improvements"), True),
    ("/alerts", N_("Alerts & crises"), False),
    ("/transparency", N_("Transparency"), True),
)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"{name}: {value!r} is not a date YYYY-MM-DD", field=name) from exc


@dataclass(frozen=True)
class Filters:
    """The global filters of a dashboard view; `brand` is always a brand the user may see."""

    brand: Brand | None
    channel: str | None = None
    since: date | None = None
    until: date | None = None
    segment: str | None = None

    @property
    def brand_code(self) -> str | None:
        return self.brand.code if self.brand else None

    def slice(self) -> Slice:
        return Slice(
            brand=self.brand_code, channel=self.channel, since=self.since, until=self.until
        )

    def params(self) -> dict[str, str]:
        values = {
            "brand": self.brand_code,
            "channel": self.channel,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "segment": self.segment,
        }
        return {k: v for k, v in values.items() if v}

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


def read_filters(session: Session, request: Request, *, actor: Actor) -> Filters:
    """Parse the global filters; a brand that is unknown or that the actor may not see is
    NotFoundError (brand-scoped access). Without ?brand= the first brand the actor sees."""
    query = request.query_params
    code = query.get("brand") or None
    if code is not None:
        brand: Brand | None = customers.get_brand(session, code, actor=actor)
    else:
        brands = customers.list_brands(session, actor=actor)
        brand = brands[0] if brands else None
        if brand is None and actor.brands is not None:
            # no brand would mean "every brand" below: not for a user scoped to some
            raise NotFoundError("no brand to show")
    since, until = _date(query.get("since"), "since"), _date(query.get("until"), "until")
    month = query.get("month")
    if month:  # the month picker wins over since/until: one click filters to a month
        try:
            first, after = period_bounds(month)
        except (InvalidInputError, ValueError) as exc:
            raise InvalidInputError(f"month: {month!r} is not YYYY-MM", field="month") from exc
        since, until = first, after - timedelta(days=1)
    if since and until and since > until:
        raise InvalidInputError("since is after until", field="since")
    return Filters(
        brand=brand,
        channel=query.get("channel") or None,
        since=since,
        until=until,
        segment=query.get("segment") or None,
    )


def choose_locale(request: Request) -> Locale:
    settings: Settings = request.app.state.settings
    return (
        parse_locale(request.query_params.get("lang"))
        or parse_locale(request.cookies.get(LANG_COOKIE))
        or settings.default_locale
    )


@dataclass(frozen=True)
class Page:
    """Everything base.html needs, plus helpers to build links that keep the filters."""

    request: Request
    session: Session
    filters: Filters
    i: Formatter
    actor: Actor

    @property
    def locale(self) -> Locale:
        return self.i.locale

    def url(self, path: str, /, **overrides: object) -> str:
        """`path` with the current filters and language, changed by `overrides` (None drops)."""
        params: dict[str, object] = {**self.filters.params(), "lang": self.locale}
        for key, value in overrides.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = value
        return f"{path}?{urlencode({k: str(v) for k, v in params.items()})}"

    def here(self, **overrides: object) -> str:
        """This page's address with some parameters changed (other query parameters kept)."""
        params: dict[str, object] = dict(self.request.query_params)
        params["lang"] = self.locale
        for key, value in overrides.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = value
        return f"{self.request.url.path}?{urlencode({k: str(v) for k, v in params.items()})}"


def open_page(session: Session, request: Request, *, actor: Actor) -> Page:
    cache.allow_stale(session)  # every page shows "figures as of" when it serves older ones
    filters = read_filters(session, request, actor=actor)
    return Page(request, session, filters, formatter(choose_locale(request)), actor)


def _stale_as_of(page: Page) -> datetime | None:
    """When the oldest prepared figure on this page was computed, if newer data exists (in the
    brand's zone): the page says so instead of passing old figures off as current."""
    stale = cache.stale_as_of(page.session)
    if stale is None or page.filters.brand is None:
        return stale
    return stale.astimezone(ZoneInfo(page.filters.brand.timezone))


def render(
    page: Page, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a page with the shared context; remembers an explicit ?lang= in a cookie."""
    brands = customers.list_brands(page.session, actor=page.actor)
    code = page.filters.brand_code
    channels, segments = (
        cache.cached(
            page.session,
            ("filter_choices", code),
            lambda: filter_choices(page.session, brand=code),
        )
        if code is not None
        else ([], [])
    )
    response = TEMPLATES.TemplateResponse(
        page.request,
        template,
        {
            "page": page,
            "i": page.i,
            "_": page.i.gettext,
            "locale": page.locale,
            "filters": page.filters,
            "brands": brands,
            "navigation": NAVIGATION,
            "choices_channels": channels,
            "choices_segments": segments,
            "code_names": catalogue_names(page.session),
            "security": app_settings(page.request).security_enabled,  # shows "Log out"
            "stale_as_of": _stale_as_of(page),
            **context,
        },
        status_code=status,
    )
    lang = parse_locale(page.request.query_params.get("lang"))
    if lang is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def serve_page(
    request: Request, session: Session, view: Callable[[Page], Response], *, actor: Actor
) -> Response:
    """Run a page as `actor` (the route's CurrentActor); our errors render on the error page
    with their status (STYLE.md §5)."""
    try:
        page = open_page(session, request, actor=actor)
    except TrustPulseError as exc:
        i = formatter(choose_locale(request))
        page = Page(request, session, Filters(brand=None), i, actor)
        return render(page, "error.html", {"error": exc}, status=exc.status_code)
    try:
        return view(page)
    except TrustPulseError as exc:
        return render(page, "error.html", {"error": exc}, status=exc.status_code)

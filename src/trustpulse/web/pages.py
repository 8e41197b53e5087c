"""Dashboard pages; they call services and never query the database themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from trustpulse.customers import service as customers
from trustpulse.db import DbSession
from trustpulse.feedback.stats import count_by_channel_and_month
from trustpulse.web.i18n import translator

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    session: DbSession,
    brand: str | None = None,
    lang: Literal["zh-CN", "en"] | None = Query(None),
) -> HTMLResponse:
    locale = lang or request.app.state.settings.default_locale
    brands = customers.list_brands(session)
    current = next((b for b in brands if b.code == brand), brands[0] if brands else None)
    table = count_by_channel_and_month(session, brand=current) if current else {}
    channels = sorted({c for row in table.values() for c in row})
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            "t": translator(locale),
            "locale": locale,
            "other_locale": "en" if locale == "zh-CN" else "zh-CN",
            "brands": brands,
            "current": current,
            "table": table,
            "channels": channels,
        },
    )

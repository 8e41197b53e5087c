"""The public transparency page: a brand's published quarters only, with no login and no dashboard.

`/public/{brand}/transparency[?quarter=2026Q3][&lang=en]` shows the latest published version of
the quarter (default: the latest published one) exactly as frozen, with every version's date
and correction reason. Nothing live is ever shown here: a quarter never published, a brand that
has published nothing and an unknown brand all answer 404, and the page carries none of the
dashboard's navigation, filters or brand list. The internal /transparency page keeps its preview.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.db import DbSession
from trustpulse.errors import NotFoundError, TrustPulseError
from trustpulse.reports.service import quarter_span
from trustpulse.reports.transparency import figure_rows
from trustpulse.transparency import service as snapshots
from trustpulse.web.context import TEMPLATES, choose_locale
from trustpulse.web.i18n import Formatter, formatter
from trustpulse.web.transparency import history_rows

router = APIRouter(include_in_schema=False)


def public_context(
    session: Session, i: Formatter, *, brand: str, quarter: str | None
) -> dict[str, Any]:
    """The published figures of the brand's quarter; NotFoundError when it is not published
    (or the brand is unknown), InvalidInputError for a malformed quarter."""
    brand_row = customers.get_brand(session, brand)
    published = sorted({s.quarter for _c, s in snapshots.list_snapshots(session, brand=brand)})
    if quarter is not None:
        quarter_span(quarter)
    chosen = quarter or (published[-1] if published else None)
    if chosen is None or chosen not in published:
        raise NotFoundError(
            f"nothing is published for {brand}" + (f" in {chosen}" if chosen else ""),
            brand=brand,
            quarter=chosen,
        )
    history = snapshots.snapshot_history(session, brand=brand, quarter=chosen)
    latest = history[-1]
    since, until = quarter_span(chosen)
    versions = [
        (s.version, i.date(snapshots.published_local(s, brand_row).date()), s.reason, s.figures)
        for s in history
    ]
    return {
        "brand": brand_row,
        "quarter": chosen,
        "quarters": published,
        "since": i.date(since),
        "until": i.date(until),
        "version": latest.version,
        "published_on": i.date(snapshots.published_local(latest, brand_row).date()),
        "rows": figure_rows(i, latest.figures.get("figures", [])),
        "history": history_rows(i, versions),
        "root_causes": latest.figures.get("root_causes") or [],
        "opened": latest.figures.get("complaints") or 0,
    }


def _render(
    request: Request, i: Formatter, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "public_transparency.html",
        {"i": i, "_": i.gettext, "locale": i.locale, **context},
        status_code=status,
    )


@router.get("/public/{brand}/transparency")
def public_transparency(
    request: Request, session: DbSession, brand: str, quarter: str | None = None
) -> Response:
    i = formatter(choose_locale(request))
    try:
        context = public_context(session, i, brand=brand, quarter=quarter)
    except TrustPulseError as exc:
        # a public page names no internals: not even whether the brand exists
        return _render(request, i, {"missing": True}, status=exc.status_code)
    return _render(request, i, {"missing": False, **context})

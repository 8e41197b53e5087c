"""Download the quarterly transparency report (PDF or HTML) for the brand in the filters."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.reports.render import render_html, render_pdf
from trustpulse.reports.service import latest_quarter, quarterly_report
from trustpulse.web.context import Page


def quarterly_download(
    page: Page, settings: Settings, *, quarter: str | None, fmt: str
) -> Response:
    if fmt not in {"pdf", "html"}:
        raise InvalidInputError(f"report format {fmt!r}: choose pdf or html", field="fmt")
    brand = page.filters.brand
    if brand is None:
        raise InvalidInputError("no brand to report on", field="brand")
    quarter = quarter or latest_quarter(page.session, brand=brand.code)
    if quarter is None:
        raise InvalidInputError("the brand has no feedback yet", field="quarter")
    report = quarterly_report(page.session, brand=brand.code, quarter=quarter, settings=settings)
    html = render_html(report, locale=page.locale, settings=settings)
    name = f"{brand.code}-{quarter}-{page.locale}.{fmt}"
    if fmt == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    return Response(
        render_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )

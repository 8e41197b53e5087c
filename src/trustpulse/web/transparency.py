"""The transparency page: complaint handling figures of a quarter, as customers are told them.

Publishing (choosing figures per brand, dated snapshots and corrections) comes with the
accounts issue; until then the page shows the live figures with how they are computed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from trustpulse.metrics import cache
from trustpulse.reports.complaints import HandlingStats, complaint_handling
from trustpulse.reports.service import latest_quarter, previous_quarter, quarter_span
from trustpulse.web.context import Page
from trustpulse.web.export import ExportTable


def _handling(page: Page, code: str, since: date, until: date) -> HandlingStats:
    """A quarter's figures from the result cache (the overview's key: a whole-brand quarter
    there and here is one entry). Locale-independent: labels are applied afterwards."""
    return cache.cached(
        page.session,
        ("complaint_handling", code, since, until, None),
        lambda: complaint_handling(page.session, brand=code, since=since, until=until),
    )


def transparency_context(page: Page, *, quarter: str | None) -> tuple[dict[str, Any], ExportTable]:
    _ = page.i.gettext
    brand = page.filters.brand
    if brand is None:
        return {"empty": True}, ExportTable("handling", [], [])
    quarter = quarter or latest_quarter(page.session, brand=brand.code)
    if quarter is None:
        return {"empty": True}, ExportTable("handling", [], [])
    since, until = quarter_span(quarter)
    previous = previous_quarter(quarter)
    prev_since, prev_until = quarter_span(previous)
    current = _handling(page, brand.code, since, until)
    before = _handling(page, brand.code, prev_since, prev_until)
    i = page.i
    rows = [
        (_("Complaints received"), i.number(current.opened), i.number(before.opened)),
        (
            _("Share resolved"),
            i.percent(current.share_resolved, 1),
            i.percent(before.share_resolved, 1),
        ),
        (
            _("First response, median (hours)"),
            i.number(current.response_median_h, 1),
            i.number(before.response_median_h, 1),
        ),
        (
            _("Resolution, median (hours)"),
            i.number(current.resolution_median_h, 1),
            i.number(before.resolution_median_h, 1),
        ),
        (
            _("Resolution, 90th percentile (hours)"),
            i.number(current.resolution_p90_h, 1),
            i.number(before.resolution_p90_h, 1),
        ),
        (_("SLA attainment"), i.percent(current.sla_met, 1), i.percent(before.sla_met, 1)),
    ]
    export = ExportTable(
        title=f"complaint handling {quarter}",
        headers=[_("Figure"), quarter, previous],
        rows=[list(r) for r in rows],
    )
    quarters = [previous_quarter(quarter), quarter]
    context = {
        "empty": False,
        "quarter": quarter,
        "previous": previous,
        "rows": rows,
        "root_causes": current.root_causes,
        "opened": current.opened,
        "quarter_choices": quarters,
    }
    return context, export

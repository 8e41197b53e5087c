"""The improvements page: actions by priority, and for done ones the before/after verdict.

The action rows are read on every request (the result cache's watermark does not see
improvement actions, which are edited in place); each done action's before/after test comes
from the result cache, keyed by the action's brand, metric, root cause and windows
(reports/improvements.py).
"""

from __future__ import annotations

from typing import Any

from trustpulse.config import Settings
from trustpulse.reports.improvements import (
    STATUS_LABELS,
    VERDICT_CLASSES,
    VERDICT_LABELS,
    WINDOW_DAYS,
    improvement_rows,
)
from trustpulse.web.context import Page
from trustpulse.web.export import ExportTable


def improvements_context(page: Page, settings: Settings) -> tuple[dict[str, Any], ExportTable]:
    _ = page.i.gettext
    brand = page.filters.brand
    if brand is None:
        return {"empty": True}, ExportTable("improvements", [], [])
    rows = improvement_rows(page.session, settings=settings, brand=brand.code)

    def verdict_cells(row: Any) -> list[Any]:
        v = row.verdict
        if v is None:
            return [None] * 8
        return [
            _(VERDICT_LABELS.get(v.verdict, v.verdict)),
            v.effect,
            v.ci_low,
            v.ci_high,
            v.p_value,
            f"{v.before[0].isoformat()} – {v.before[1].isoformat()}",
            f"{v.after[0].isoformat()} – {v.after[1].isoformat()}",
            v.test,
        ]

    export = ExportTable(
        title="improvements",
        headers=[
            _("Priority"),
            _("Act now"),
            _("Action"),
            _("Metric"),
            _("Status"),
            _("Owner"),
            _("Due"),
            _("Impact (0–10)"),
            _("Cost"),
            _("Expected gain (points)"),
            _("Verdict"),
            _("Effect (points)"),
            _("95 % interval low"),
            _("95 % interval high"),
            _("p-value"),
            _("Before"),
            _("After"),
            _("Test"),
        ],
        rows=[
            [
                round(r.priority, 3),
                _("yes") if r.act_now else _("no"),
                r.problem,
                r.metric,
                _(STATUS_LABELS.get(r.status, r.status)),
                r.owner,
                r.due_date,
                r.impact,
                r.cost,
                r.expected_gain,
                *verdict_cells(r),
            ]
            for r in rows
        ],
    )
    context = {
        "empty": False,
        "rows": rows,
        "status_labels": STATUS_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "verdict_classes": VERDICT_CLASSES,
        "window_days": WINDOW_DAYS,
        "filters_ignored": any(
            (page.filters.channel, page.filters.since, page.filters.until, page.filters.segment)
        ),
    }
    return context, export

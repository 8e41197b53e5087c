"""The public transparency page: a quarter's published figures, or a labelled live preview.

A published quarter shows its latest snapshot's figures exactly as frozen (values, period and
how each was computed), when it was published, and, when corrected, every earlier version with
its date, its reason and what changed. A quarter never published shows the live figures marked
"preview, not yet published" beside the quarter before, so nothing live passes for published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.metrics import cache
from trustpulse.metrics.actions import list_actions
from trustpulse.reports.complaints import (
    HandlingStats,
    PromiseStats,
    complaint_handling,
    promise_counts,
)
from trustpulse.reports.service import latest_quarter, previous_quarter, quarter_span
from trustpulse.reports.transparency import figure_label, figure_rows, format_value
from trustpulse.transparency import service as snapshots
from trustpulse.web.context import Page
from trustpulse.web.export import ExportTable, pick_table
from trustpulse.web.i18n import Formatter
from trustpulse.web.labels import catalogue_names, code_label


def complaint_figures(
    session: Session, code: str, quarter: str
) -> tuple[HandlingStats, PromiseStats]:
    """A quarter's complaint handling and promise counts from the result cache.

    Handling keeps the overview's key (a whole-brand quarter there and here is one entry). The
    cache's watermark covers complaints and complaint events, and every promise made, kept or
    broken appends an event, so a changed complaint or promise is seen at once. Locale-
    independent: labels are applied afterwards."""
    since, until = quarter_span(quarter)
    handling = cache.cached(
        session,
        ("complaint_handling", code, since, until, None),
        lambda: complaint_handling(session, brand=code, since=since, until=until),
    )
    promises = cache.cached(
        session,
        ("promise_counts", code, since, until),
        lambda: promise_counts(session, brand=code, since=since, until=until),
    )
    return handling, promises


def _by_code(payload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(f["code"]): f for f in payload.get("figures", [])}


@dataclass(frozen=True)
class Version:
    """One published version as the corrections history shows it."""

    version: int
    published_on: str
    reason: str | None
    changes: list[tuple[str, str, str]]  # (figure, value before, value in this version)


def history_rows(
    i: Formatter, versions: Sequence[tuple[int, str, str | None, Mapping[str, Any]]]
) -> list[Version]:
    """Newest first; each correction lists the figures whose value differs from the version
    before it."""
    out = []
    for k, (number, day, reason, payload) in enumerate(versions):
        changes = []
        if k > 0:
            before, now = _by_code(versions[k - 1][3]), _by_code(payload)
            for code, figure in now.items():
                old = before.get(code, {}).get("value")
                if old != figure.get("value"):
                    unit = figure.get("unit")
                    changes.append(
                        (
                            figure_label(i, code),
                            format_value(i, unit, old),
                            format_value(i, unit, figure["value"]),
                        )
                    )
        out.append(Version(number, day, reason, changes))
    return out[::-1]


def _side_tables(page: Page, context: Mapping[str, Any]) -> dict[str, ExportTable]:
    """Corrections (newest version first) and root causes, as the page shows them; a quarter
    never corrected has an empty corrections table."""
    _ = page.i.gettext
    history: Sequence[Version] = context.get("history") or []
    corrections = ExportTable(
        title=f"corrections {context['quarter']}",
        filename=f"corrections-{context['quarter']}",
        headers=[_("Version"), _("Published on"), _("Reason"), _("What changed")],
        rows=[
            [
                v.version,
                v.published_on,
                v.reason or _("First publication"),
                "; ".join(f"{label}: {old} → {new}" for label, old, new in v.changes),
            ]
            for v in history
        ],
    )
    opened = context["opened"]
    names = catalogue_names(page.session)
    causes = ExportTable(
        title=f"root causes {context['quarter']}",
        filename=f"root-causes-{context['quarter']}",
        headers=[_("Root cause"), _("Complaints"), _("Share")],
        rows=[
            [code_label(page.i, str(cause), names), n, n / opened if opened else None]
            for cause, n in context["root_causes"]
        ],
    )
    return {"corrections": corrections, "root-causes": causes}


def _pick(page: Page, handling: ExportTable, context: Mapping[str, Any]) -> ExportTable:
    tables = {"handling": handling, **_side_tables(page, context)}
    return pick_table(tables, page.request.query_params.get("table"))


def transparency_context(
    page: Page, settings: Settings, *, quarter: str | None
) -> tuple[dict[str, Any], ExportTable]:
    """The page's context and the table `?table=` picks: handling figures (default),
    corrections or root-causes."""
    _ = page.i.gettext
    i = page.i
    brand = page.filters.brand
    empty: tuple[dict[str, Any], ExportTable] = ({"empty": True}, ExportTable("handling", [], []))
    if brand is None:
        return empty
    published_quarters = sorted(
        {s.quarter for _code, s in snapshots.list_snapshots(page.session, brand=brand.code)}
    )
    quarter = quarter or (
        published_quarters[-1]
        if published_quarters
        else cache.cached(
            page.session,
            ("latest_quarter", brand.code),
            lambda: latest_quarter(page.session, brand=brand.code),
        )
    )
    if quarter is None:
        return empty
    since, until = quarter_span(quarter)
    previous = previous_quarter(quarter)
    history = snapshots.snapshot_history(page.session, brand=brand.code, quarter=quarter)
    context: dict[str, Any] = {
        "empty": False,
        "quarter": quarter,
        "previous": previous,
        "since": i.date(since),
        "until": i.date(until),
        "quarter_choices": sorted({*published_quarters, previous, quarter}),
        "published_quarters": published_quarters,
    }
    if history:
        latest = history[-1]
        payload = latest.figures
        rows = figure_rows(i, payload.get("figures", []))
        versions = [
            (s.version, i.date(snapshots.published_local(s, brand)), s.reason, s.figures)
            for s in history
        ]
        context |= {
            "published": True,
            "version": latest.version,
            "published_on": i.date(snapshots.published_local(latest, brand)),
            "rows": rows,
            "history": history_rows(i, versions) if len(history) > 1 else [],
            "root_causes": payload.get("root_causes") or [],
            "opened": payload.get("complaints") or 0,
        }
        export = ExportTable(
            title=f"published {quarter} v{latest.version}",
            headers=[_("Figure"), quarter, _("How it is computed")],
            rows=[list(r) for r in rows],
        )
        return context, _pick(page, export, context)
    # improvement actions are not in the cache's watermark (a status is edited in place):
    # read live, once for both quarters (a handful of rows per brand)
    actions = list_actions(page.session, settings=settings, brand=brand.code)
    current, promised = complaint_figures(page.session, brand.code, quarter)
    before, promised_before = complaint_figures(page.session, brand.code, previous)
    live = snapshots.figures_payload(
        page.session,
        settings=settings,
        brand=brand.code,
        quarter=quarter,
        handling=current,
        promises=promised,
        actions=actions,
    )
    earlier = _by_code(
        snapshots.figures_payload(
            page.session,
            settings=settings,
            brand=brand.code,
            quarter=previous,
            handling=before,
            promises=promised_before,
            actions=actions,
        )
    )
    rows_live = [
        (
            figure_label(i, str(f["code"])),
            format_value(i, f["unit"], f["value"]),
            format_value(i, f["unit"], earlier.get(str(f["code"]), {}).get("value")),
            _(str(f["method"])),
        )
        for f in live["figures"]
    ]
    context |= {
        "published": False,
        "rows": rows_live,
        "root_causes": live["root_causes"] or [],
        "opened": current.opened,
    }
    export = ExportTable(
        title=f"preview {quarter}",
        headers=[_("Figure"), quarter, previous, _("How it is computed")],
        rows=[list(r) for r in rows_live],
    )
    return context, _pick(page, export, context)

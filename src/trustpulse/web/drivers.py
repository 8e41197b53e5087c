"""The drivers & segments page: importance x performance quadrant, segment trust profiles, and
the trust <-> repurchase curve with the ROI calculator (web/roi.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.metrics import cache
from trustpulse.metrics.drivers import key_drivers
from trustpulse.metrics.query import Slice
from trustpulse.metrics.trust_index import load_trust_config
from trustpulse.reports import trust
from trustpulse.reports.trust import Point
from trustpulse.web.context import Page
from trustpulse.web.export import Cell, ExportTable, pick_table
from trustpulse.web.i18n import N_
from trustpulse.web.labels import catalogue_names, code_label
from trustpulse.web.roi import roi_context, roi_tables

TARGETS = {"nps": N_("NPS"), "csat": N_("CSAT"), "ces": N_("CES")}
QUADRANT_LABELS = {
    "fix first": N_("fix first"),
    "keep up": N_("keep up"),
    "maintain": N_("maintain"),
    "lower priority": N_("lower priority"),
}
Dims = Sequence[tuple[str, str]]  # (trust dimension code, name in the page's language)
RESAMPLES = 200  # bootstrap resamples for the importance intervals (the CLI's default)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class DriverRow:
    driver: str
    rank: int
    n: int
    importance: float | None
    ci_low: float | None
    ci_high: float | None
    performance: float | None
    quadrant: str

    @classmethod
    def of(cls, row: dict[str, object]) -> DriverRow:
        rank, n = row["rank"], row["n"]
        return cls(
            driver=str(row["driver"]),
            rank=int(rank) if isinstance(rank, int) else 0,
            n=int(n) if isinstance(n, int) else 0,
            importance=_number(row["importance"]),
            ci_low=_number(row["ci_low"]),
            ci_high=_number(row["ci_high"]),
            performance=_number(row["performance"]),
            quadrant=str(row["quadrant"]),
        )


def segment_table(
    page: Page, segments: Sequence[tuple[Mapping[str, str | None], Point]], dimensions: Dims
) -> ExportTable:
    """Segments with their size, trust index and interval, and each trust dimension."""
    _ = page.i.gettext
    names = catalogue_names(page.session)
    rows: list[list[Cell]] = []
    for group, p in segments:
        scores = p.extra.get("dimensions")
        by_dim = scores if isinstance(scores, dict) else {}
        rows.append(
            [
                code_label(page.i, group.get("segment"), names),
                p.n,
                p.value,
                p.ci_low,
                p.ci_high,
                *(_number(by_dim.get(code)) for code, _name in dimensions),
            ]
        )
    return ExportTable(
        title="segments",
        filename="segments",
        headers=[
            _("Segment"),
            _("Customers"),
            _("Trust index"),
            _("95 % interval low"),
            _("95 % interval high"),
            *(name for _code, name in dimensions),
        ],
        rows=rows,
    )


def driver_rows(
    session: Session, settings: Settings, *, target: str, slc: Slice
) -> list[dict[str, object]]:
    """Key drivers of `target` in the slice through the result cache (what `web.prepare` and
    the page share)."""
    return cache.cached(
        session,
        ("key_drivers", target, cache.freeze(slc), RESAMPLES),
        lambda: key_drivers(
            session, target=target, flt=slc, settings=settings, resamples=RESAMPLES
        ),
    )


def drivers_context(
    page: Page, settings: Settings, *, target: str, gain: str | None = None
) -> tuple[dict[str, Any], ExportTable]:
    """The page's context and the table `?table=` picks: drivers (default), segments,
    repurchase (bands) or roi (the scenario)."""
    if target not in TARGETS:
        raise InvalidInputError(f"unknown driver target {target!r}", field="target")
    _ = page.i.gettext
    flt = page.filters
    if flt.brand is None:
        return {"empty": True}, ExportTable("drivers", [], [])
    rows = driver_rows(page.session, settings, target=target, slc=flt.slice())
    drivers = [DriverRow.of(r) for r in rows]
    names = catalogue_names(page.session)
    chart = None
    if drivers:
        performances = sorted(d.performance or 0.0 for d in drivers)
        chart = {
            "kind": "quadrant",
            "points": [
                {
                    "name": code_label(page.i, d.driver, names),
                    "x": d.performance,
                    "y": d.importance,
                }
                for d in drivers
            ],
            "xLine": performances[len(performances) // 2],
            "yLine": 1.0 / len(drivers),
            "xName": _("Performance (mean score 0–10)"),
            "yName": _("Importance (share of R²)"),
        }
    export = ExportTable(
        title=f"drivers of {target}",
        headers=[
            _("Rank"),
            _("Driver"),
            _("Responses"),
            _("Importance"),
            _("95 % interval low"),
            _("95 % interval high"),
            _("Performance"),
            _("Quadrant"),
        ],
        rows=[
            [
                d.rank,
                code_label(page.i, d.driver, names),
                d.n,
                d.importance,
                d.ci_low,
                d.ci_high,
                d.performance,
                _(QUADRANT_LABELS.get(d.quadrant, d.quadrant)),
            ]
            for d in drivers
        ],
    )
    segments = trust.metric_by(
        page.session, "trust_index", settings=settings, flt=flt.slice(), by=["segment"]
    )
    dims = load_trust_config(settings, brand=flt.brand.code).dimensions
    dimensions = [(d.code, d.name_zh if page.locale == "zh-CN" else d.name_en) for d in dims]
    roi = roi_context(page, settings, brand=flt.brand.code, gain_param=gain)
    tables = {
        "drivers": export,
        "segments": segment_table(page, segments, dimensions),
        **roi_tables(page, roi),
    }
    context = {
        "empty": False,
        "target": target,
        "targets": TARGETS,
        "drivers": drivers,
        "chart": chart,
        "quadrant_labels": QUADRANT_LABELS,
        "segments": segments,
        "dimensions": dimensions,
        "segment_ignored": flt.segment is not None,
        **roi,
    }
    return context, pick_table(tables, page.request.query_params.get("table"))

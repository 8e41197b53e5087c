"""The overview page and the metric breakdown behind every figure on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.metrics import cache, engine
from trustpulse.metrics.query import Slice
from trustpulse.metrics.trust_index import load_trust_config
from trustpulse.reports import complaints, trust
from trustpulse.reports.targets import load_targets, target_status
from trustpulse.web.context import Page
from trustpulse.web.export import ExportTable
from trustpulse.web.i18n import N_

METRIC_LABELS = {
    "trust_index": N_("Trust index"),
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "ces": N_("CES"),
    "csi": N_("CSI"),
}
UNIT_LABELS = {
    "trust_index": N_("points 0–100"),
    "nps": N_("points −100…100"),
    "csat": N_("% satisfied (top-2-box)"),
    "ces": N_("mean on 1–7, 7 = easy"),
    "csi": N_("points 0–100"),
}
BREAKDOWN_DIMENSIONS = {
    "channel": N_("Channel"),
    "touchpoint": N_("Touchpoint"),
    "product": N_("Product"),
    "region": N_("Region"),
    "segment": N_("Segment"),
    "tier": N_("Tier"),
    "month": N_("Month"),
    "quarter": N_("Quarter"),
}
STATUS_LABELS = {
    "met": N_("met"),
    "at_risk": N_("at risk"),
    "missed": N_("missed"),
    "no_data": N_("no data"),
}


def band_spec(
    page: Page, points: Sequence[trust.Point], *, name: str, metric: str, target: float | None
) -> dict[str, Any]:
    """An ECharts line + 95 % band; each point links to the breakdown of its period."""
    digits = 2 if metric == "ces" else 1
    links = []
    for p in points:
        bounds = p.bounds
        links.append(
            page.url("/breakdown", metric=metric, by="channel", since=bounds[0], until=bounds[1])
            if bounds
            else None
        )

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "kind": "band",
        "x": [p.period for p in points],
        "series": [
            {
                "name": name,
                "values": [rounded(p.value) for p in points],
                "low": [rounded(p.ci_low) for p in points],
                "high": [rounded(p.ci_high) for p in points],
            }
        ],
        "target": target,
        "targetLabel": page.i.gettext("target"),
        "digits": digits,
        "links": links,
    }


@dataclass(frozen=True)
class OverviewFigures:
    """What the overview shows for one slice: headline metrics per quarter and per month
    (the trust index per quarter only: one bootstrap per period) and complaint handling."""

    quarters: dict[str, list[trust.Point]]
    months: dict[str, list[trust.Point]]
    handling: complaints.HandlingStats


def overview_figures(
    session: Session, settings: Settings, *, slc: Slice, segment: str | None
) -> OverviewFigures:
    """The overview's numbers through the result cache (also what `web.prepare` computes)."""
    if slc.brand is None:
        raise InvalidInputError("the overview needs a brand", field="brand")
    quarters, months = {}, {}
    for metric in trust.HEADLINE_METRICS:
        quarters[metric] = trust.series(
            session, metric, settings=settings, flt=slc, period="quarter", segment=segment
        )
        months[metric] = (
            quarters[metric]
            if metric == "trust_index"
            else trust.series(
                session, metric, settings=settings, flt=slc, period="month", segment=segment
            )
        )
    return OverviewFigures(quarters, months, handling_figures(session, slc))


def handling_figures(session: Session, slc: Slice) -> complaints.HandlingStats:
    """The overview's complaint handling figures of a slice through the result cache (the
    transparency page shares the key for a whole-brand quarter)."""
    code, since, until, channel = slc.brand, slc.since, slc.until, slc.channel
    if code is None:
        raise InvalidInputError("complaint handling needs a brand", field="brand")
    return cache.cached(
        session,
        ("complaint_handling", code, since, until, channel),
        lambda: complaints.complaint_handling(
            session, brand=code, since=since, until=until, channel=channel
        ),
    )


def overview_context(page: Page, settings: Settings) -> dict[str, Any]:
    flt = page.filters
    if flt.brand is None:
        return {"empty": True}
    code = flt.brand.code
    figures = overview_figures(page.session, settings, slc=flt.slice(), segment=flt.segment)
    targets = load_targets(settings, brand=code).targets
    headlines, charts = [], {}
    for metric in trust.HEADLINE_METRICS:
        head = trust.headline(metric, figures.quarters[metric], settings=settings, brand=code)
        headlines.append(head)
        target = targets.get(metric)
        charts[metric] = band_spec(
            page,
            figures.months[metric],
            name=page.i.gettext(METRIC_LABELS[metric]),
            metric=metric,
            target=target.target if target else None,
        )
    trust_head = headlines[0]
    dims_config = load_trust_config(settings, brand=code).dimensions
    values = trust_head.current.extra.get("dimensions", {}) if trust_head.current else {}
    assert isinstance(values, dict)  # noqa: S101 -- the trust index's documented shape
    dimensions = [
        (d.code, d.name_zh if page.locale == "zh-CN" else d.name_en, values.get(d.code))
        for d in dims_config
    ]
    handling = figures.handling
    sla_target = targets.get("sla_attainment")
    sla_status = (
        target_status(
            handling.sla_met, handling.sla_met_low, handling.sla_met_high, sla_target.target
        )
        if sla_target
        else None
    )
    months = list(handling.by_month)
    charts["complaints"] = {
        "kind": "bars",
        "x": months,
        "series": [
            {
                "name": page.i.gettext("opened"),
                "values": [handling.by_month[m]["opened"] for m in months],
            },
            {
                "name": page.i.gettext("resolved"),
                "values": [handling.by_month[m]["resolved"] for m in months],
            },
        ],
    }
    return {
        "empty": False,
        "headlines": headlines,
        "dimensions": dimensions,
        "handling": handling,
        "sla_target": sla_target,
        "sla_status": sla_status,
        "charts": charts,
        "metric_labels": METRIC_LABELS,
        "unit_labels": UNIT_LABELS,
        "status_labels": STATUS_LABELS,
    }


def breakdown_context(
    page: Page, settings: Settings, *, metric: str, by: str
) -> tuple[dict[str, Any], ExportTable]:
    """The metric per value of one dimension, each with its interval and target verdict."""
    if metric not in engine.METRICS:
        raise InvalidInputError(f"unknown metric {metric!r}", field="metric")
    if by not in BREAKDOWN_DIMENSIONS:
        raise InvalidInputError(f"cannot break down by {by!r}", field="by")
    flt = page.filters
    code = flt.brand.code if flt.brand else None
    rows = trust.metric_by(
        page.session, metric, settings=settings, flt=flt.slice(), by=[by], segment=flt.segment
    )
    target = load_targets(settings, brand=code).targets.get(metric)
    table = []
    for group, point in rows:
        status = (
            target_status(point.value, point.ci_low, point.ci_high, target.target)
            if target
            else "no_data"
        )
        table.append((group.get(by) or "—", point, status))
    digits = 2 if metric == "ces" else 1
    chart = {
        "kind": "bars",
        "x": [label for label, _p, _s in table],
        "series": [
            {
                "name": page.i.gettext(METRIC_LABELS[metric]),
                "values": [
                    None if p.value is None else round(p.value, digits) for _l, p, _s in table
                ],
            }
        ],
    }
    _ = page.i.gettext
    export = ExportTable(
        title=f"{metric} by {by}",
        headers=[
            _(BREAKDOWN_DIMENSIONS[by]),
            _("Responses"),
            _(METRIC_LABELS[metric]),
            _("95 % interval low"),
            _("95 % interval high"),
            _("Small sample"),
            _("Target"),
        ],
        rows=[
            [label, p.n, p.value, p.ci_low, p.ci_high, p.small_sample, _(STATUS_LABELS[s])]
            for label, p, s in table
        ],
    )
    context = {
        "metric": metric,
        "by": by,
        "rows": table,
        "target": target,
        "digits": digits,
        "chart": chart,
        "metric_labels": METRIC_LABELS,
        "unit_labels": UNIT_LABELS,
        "dimensions": BREAKDOWN_DIMENSIONS,
        "status_labels": STATUS_LABELS,
    }
    return context, export

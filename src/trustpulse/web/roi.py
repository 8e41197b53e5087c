"""The drivers page's trust <-> repurchase curve and ROI calculator (`?gain=X`, kept in the URL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.metrics import cache
from trustpulse.reports.roi import Band, RepurchaseView, repurchase_bands, repurchase_view
from trustpulse.web.context import Page
from trustpulse.web.export import Cell, ExportTable
from trustpulse.web.i18n import N_

DEFAULT_GAIN = 5.0
MAX_GAIN = 50.0  # trust points run 0-100: a larger rise is outside anything the data shows


def parse_gain(value: str | None) -> float:
    """`?gain=` as trust points, 0 < X <= 50; InvalidInputError (field gain) otherwise."""
    if value is None or value.strip() == "":
        return DEFAULT_GAIN
    try:
        gain = float(value)
    except ValueError as exc:
        raise InvalidInputError(f"gain: {value!r} is not a number", field="gain") from exc
    if not 0 < gain <= MAX_GAIN:
        raise InvalidInputError(
            f"gain: {value!r} must be above 0 and at most {MAX_GAIN:g} points", field="gain"
        )
    return gain


def _interval(value: object) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    return {k: float(v) for k, v in value.items() if isinstance(v, int | float)}


def repurchase_figures(
    session: Session, settings: Settings, *, brand: str, gain: float
) -> RepurchaseView:
    """The trust -> repurchase bands and the ROI scenario through the result cache (what
    `web.prepare` and the page share)."""
    stamp = cache.config_stamp(settings, brand=brand, names=("roi", "segments"))
    # the bands do not depend on the gain: a new gain in the form recomputes only the model
    bands = cache.cached(
        session,
        ("repurchase_bands", brand, stamp),
        lambda: repurchase_bands(session, settings=settings, brand=brand, as_of=utcnow()),
    )
    return cache.cached(
        session,
        ("repurchase_view", brand, gain, stamp),
        lambda: repurchase_view(
            session, settings=settings, brand=brand, trust_gain=gain, bands=bands
        ),
    )


def roi_context(
    page: Page, settings: Settings, *, brand: str, gain_param: str | None
) -> dict[str, Any]:
    """Chart spec, scenario and assumptions for one brand (the one in the filters)."""
    _ = page.i.gettext
    gain = parse_gain(gain_param)
    view = repurchase_figures(page.session, settings, brand=brand, gain=gain)
    report = view.report
    chart = None
    if view.bands:
        chart = {
            "kind": "curve",
            "bands": [
                {
                    "x": (b.low + b.high) / 2,
                    "label": f"{b.low}–{b.high}",
                    "rate": b.rate,
                    "low": b.ci_low,
                    "high": b.ci_high,
                    "n": b.n,
                }
                for b in view.bands
            ],
            "curve": [[x, y] for x, y in view.curve],
            "observedName": _("Observed repurchase rate (95 % interval)"),
            "curveName": _("Fitted logistic curve"),
            "xName": _("Trust score (0–100)"),
            "yName": _("Repurchase rate"),
            "nName": _("Customers"),
        }
    scenario = report.get("scenario")
    prior = report.get("prior")
    assumptions = report.get("assumptions")
    model = report.get("model")
    return {
        "roi_chart": chart,
        "roi_gain": gain,
        "roi_bands": view.bands,
        "roi_model": model if isinstance(model, dict) else None,
        "roi_config": view.config,
        "roi_modelled": report.get("customers_modelled"),
        "roi_rate": report.get("repurchase_rate"),
        "roi_window_days": report.get("window_days"),
        "roi_scenario": (
            {
                k: _interval(scenario.get(k))
                for k in (
                    "repurchase_rate_change",
                    "repurchase_rate_after",
                    "annual_revenue_change",
                    "ltv_change_per_customer",
                    "margin_gain_total",
                )
            }
            | {"ltv_before": scenario.get("ltv_per_customer_before")}
            if isinstance(scenario, dict)
            else None
        ),
        "roi_prior": prior if isinstance(prior, dict) else None,
        "roi_assumptions": assumptions if isinstance(assumptions, dict) else {},
        "roi_hidden": {**page.filters.params(), "lang": page.locale},
    }


SCENARIO_ROWS = (  # (scenario key, label, scale): the rate change is shown in points
    ("repurchase_rate_change", N_("Repurchase rate (percentage points)"), 100.0),
    ("repurchase_rate_after", N_("Repurchase rate after"), 1.0),
    ("annual_revenue_change", N_("Annual revenue of the modelled customers"), 1.0),
    ("ltv_change_per_customer", N_("LTV per customer (now %(ltv)s)"), 1.0),
    ("margin_gain_total", N_("Margin over the customers' lifetime, all modelled customers"), 1.0),
)


def roi_tables(page: Page, roi: Mapping[str, Any]) -> dict[str, ExportTable]:
    """The repurchase bands and the ROI scenario of `roi_context`'s answer, as shown."""
    _ = page.i.gettext
    i = page.i
    bands: Sequence[Band] = roi["roi_bands"]
    repurchase = ExportTable(
        title="trust and repurchase",
        filename="trust-repurchase",
        headers=[
            _("Trust score (0–100)"),
            _("Customers"),
            _("Repurchase rate"),
            _("95 % interval low"),
            _("95 % interval high"),
        ],
        rows=[[f"{b.low}–{b.high}", b.n, b.rate, b.ci_low, b.ci_high] for b in bands],
    )
    scenario = roi["roi_scenario"]
    rows: list[list[Cell]] = []
    if scenario is not None:
        for key, name, scale in SCENARIO_ROWS:
            values = scenario.get(key) or {}
            parts = (values.get(k) for k in ("value", "ci_low", "ci_high"))
            rows.append(
                [
                    _(name, ltv=i.number(scenario.get("ltv_before"), 0)),
                    *(None if v is None else scale * v for v in parts),
                ]
            )
    roi_table = ExportTable(
        title=f"ROI of +{roi['roi_gain']:g} trust points",
        filename=f"roi-plus-{roi['roi_gain']:g}-points",
        headers=[
            _("Expected change"),
            _("Estimate"),
            _("95 % interval low"),
            _("95 % interval high"),
        ],
        rows=rows,
    )
    return {"repurchase": repurchase, "roi": roi_table}

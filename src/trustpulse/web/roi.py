"""The drivers page's trust <-> repurchase curve and ROI calculator (`?gain=X`, kept in the URL)."""

from __future__ import annotations

from typing import Any

from trustpulse.config import Settings
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.metrics import cache
from trustpulse.reports.roi import RepurchaseView, repurchase_bands, repurchase_view
from trustpulse.web.context import Page

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


def roi_context(
    page: Page, settings: Settings, *, brand: str, gain_param: str | None
) -> dict[str, Any]:
    """Chart spec, scenario and assumptions for one brand (the one in the filters)."""
    _ = page.i.gettext
    gain = parse_gain(gain_param)
    stamp = cache.config_stamp(settings, brand=brand, names=("roi", "segments"))
    # the bands do not depend on the gain: a new gain in the form recomputes only the model
    bands = cache.cached(
        page.session,
        ("repurchase_bands", brand, stamp),
        lambda: repurchase_bands(page.session, settings=settings, brand=brand, as_of=utcnow()),
    )
    view: RepurchaseView = cache.cached(
        page.session,
        ("repurchase_view", brand, gain, stamp),
        lambda: repurchase_view(
            page.session, settings=settings, brand=brand, trust_gain=gain, bands=bands
        ),
    )
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

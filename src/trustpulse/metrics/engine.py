"""Computes one metric for every slice of `--by`: the service behind `trustpulse metrics`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Score
from trustpulse.metrics import trust_index
from trustpulse.metrics.benchmarks import attach_benchmarks
from trustpulse.metrics.csi import csi_estimate, renormalise
from trustpulse.metrics.estimate import Estimate
from trustpulse.metrics.means import ces_estimate
from trustpulse.metrics.nps import DETRACTOR_MAX, PROMOTER_MIN, nps_estimate
from trustpulse.metrics.proportions import csat_estimate
from trustpulse.metrics.query import GroupKey, Slice, customer_item_totals, score_parts
from trustpulse.metrics.rollup_read import rollup_estimates
from trustpulse.metrics.schemas import MetricsConfig
from trustpulse.metrics.targets import attach_targets, load_targets

METRICS = ("nps", "csat", "ces", "csi", "trust_index")
UNITS = {
    "nps": "points (-100..100)",
    "csat": "points (0..100)",
    "ces": "mean on 1..7",
    "csi": "points (0..100)",
    "trust_index": "points (0..100)",
}


def load_metrics_config(settings: Settings, *, brand: str | None = None) -> MetricsConfig:
    return load_config("metrics", MetricsConfig, settings=settings, brand=brand)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def compute_metric(
    session: Session,
    metric: str,
    *,
    settings: Settings,
    by: Sequence[str] = (),
    flt: Slice | None = None,
    source: str = "raw",
) -> list[dict[str, object]]:
    """One row per slice: {group, metric, unit, n, value, ci_low, ci_high, small_sample, ...}.

    Raises InvalidInputError for an unknown metric, NotFoundError for an unknown brand and
    ConfigError for a bad metrics.yaml / trust_index.yaml. `source`: "raw" (default) reads the
    feedback rows; "rollup" reads the daily rollups (NPS, CSAT, CES; InvalidInputError when they
    cannot answer the slice exactly); "auto" uses them when they can, else the raw rows.
    """
    flt = flt or Slice()
    if metric not in METRICS:
        raise InvalidInputError(
            f"unknown metric {metric!r}; choose from {', '.join(METRICS)}", field="metric"
        )
    config = load_metrics_config(settings, brand=flt.brand)
    estimates: dict[GroupKey, Estimate]
    from_rollups = rollup_estimates(session, metric, config=config, by=by, flt=flt, source=source)
    if from_rollups is not None:
        estimates = from_rollups
    elif metric == "nps":
        estimates = _nps(session, config, by, flt)
    elif metric == "csat":
        estimates = _csat(session, config, by, flt)
    elif metric == "ces":
        estimates = _ces(session, config, by, flt)
    elif metric == "csi":
        estimates = _csi(session, config, by, flt)
    else:
        estimates = trust_index.compute(
            session, settings=settings, metrics_config=config, by=by, flt=flt
        )
    rows = []
    for key in sorted(estimates, key=lambda k: tuple((v is None, v or "") for v in k)):
        rows.append(
            {
                "group": dict(zip(by, key, strict=True)),
                "metric": metric,
                "unit": UNITS[metric],
                **estimates[key].as_dict(),
            }
        )
    attach_benchmarks(session, rows, metric=metric, flt=flt)
    attach_targets(rows, metric=metric, flt=flt, config=load_targets(settings, brand=flt.brand))
    return rows


def _nps(
    session: Session, config: MetricsConfig, by: Sequence[str], flt: Slice
) -> dict[GroupKey, Estimate]:
    parts = score_parts(
        session,
        config.nps_metric,
        {
            "n": func.count(),
            "promoters": _count_if(Score.value >= PROMOTER_MIN),
            "detractors": _count_if(Score.value <= DETRACTOR_MAX),
        },
        by=by,
        flt=flt,
    )
    out = {}
    for key, p in parts.items():
        n, promoters, detractors = int(p["n"]), int(p["promoters"]), int(p["detractors"])
        out[key] = nps_estimate(
            promoters, n - promoters - detractors, detractors, min_n=config.min_n
        )
    return out


def _csat(
    session: Session, config: MetricsConfig, by: Sequence[str], flt: Slice
) -> dict[GroupKey, Estimate]:
    parts = score_parts(
        session,
        config.csat_metric,
        {"n": func.count(), "satisfied": _count_if(Score.value >= config.csat_top_box_min)},
        by=by,
        flt=flt,
    )
    return {
        key: csat_estimate(int(p["satisfied"]), int(p["n"]), min_n=config.min_n)
        for key, p in parts.items()
    }


def _ces(
    session: Session, config: MetricsConfig, by: Sequence[str], flt: Slice
) -> dict[GroupKey, Estimate]:
    parts = score_parts(
        session,
        config.ces_metric,
        {
            "n": func.count(),
            "sum": func.sum(Score.value),
            "sum_sq": func.sum(Score.value * Score.value),
            "low_effort": _count_if(Score.value >= config.ces_low_effort_min),
        },
        by=by,
        flt=flt,
    )
    return {
        key: ces_estimate(
            int(p["n"]), p["sum"], p["sum_sq"], int(p["low_effort"]), min_n=config.min_n
        )
        for key, p in parts.items()
    }


def _csi(
    session: Session, config: MetricsConfig, by: Sequence[str], flt: Slice
) -> dict[GroupKey, Estimate]:
    items = config.csi.items
    weights, warnings = renormalise([i.weight for i in items], what="CSI item")
    totals = customer_item_totals(session, [i.metric for i in items], by=by, flt=flt)
    return {
        key: csi_estimate(
            items,
            weights,
            t.sums,
            t.counts,
            min_n=config.min_n,
            resamples=config.bootstrap_resamples,
            warnings=warnings,
        )
        for key, t in totals.items()
    }

"""How response time moves trust: the effect of first-response hours on follow-up CSAT.

One observation per complaint that has both a first response and at least one answered follow-up
survey (complaint_samples). Outcome: the case's follow-up CSAT in points, 100 x the share of its
answers in the top box (>= csat_top_box_min, metrics.yaml; the CSAT definition of the metric
library), and, secondly, the mean answer on 1-5. Predictor: first-response hours (wall-clock).
The effect is the OLS slope, i.e. CSAT points per hour of delay (negative: slower answers cost
satisfaction), with a heteroscedasticity-robust (HC1, White) standard error, because a 0/100
outcome has unequal variance, and a t interval on n - 2 degrees of freedom. The slope is an
association across cases: severe cases may be both slower and less satisfying, so read it as
the price of the delay only where cases are comparable (slice by brand, channel, severity).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type stubs
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.metrics.bootstrap import FloatArray
from trustpulse.metrics.complaint_samples import complaint_samples
from trustpulse.metrics.engine import load_metrics_config
from trustpulse.metrics.query import Slice, brands_in_scope

UNIT = "CSAT points (0..100) per hour of first-response time"
BY = ("brand",)


@dataclass(frozen=True)
class Slope:
    """OLS slope of y on x with its HC1 standard error and 95 % t interval."""

    slope: float
    intercept: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def ols_slope(x: FloatArray, y: FloatArray) -> Slope | None:
    """y = a + b x by least squares; None with fewer than 3 rows or no spread in x.

    SE: HC1 sandwich, (X'X)^-1 X' diag(e^2) X (X'X)^-1 x n / (n - 2) (MacKinnon & White 1985).
    """
    n = len(x)
    if n < 3 or float(np.ptp(x)) == 0.0:
        return None
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    bread = np.linalg.inv(design.T @ design)
    meat = design.T @ (design * (residual**2)[:, None])
    cov = bread @ meat @ bread * n / (n - 2)
    se = math.sqrt(max(float(cov[1, 1]), 0.0))
    t = float(stats.t.ppf(0.975, n - 2))
    slope = float(coef[1])
    p = float(2 * stats.t.sf(abs(slope / se), n - 2)) if se > 0 else 0.0
    return Slope(slope, float(coef[0]), se, slope - t * se, slope + t * se, p, n)


def response_time_effect(
    session: Session, *, settings: Settings, by: Sequence[str] = (), flt: Slice | None = None
) -> list[dict[str, object]]:
    """One row per group (`by`: () or ("brand",)) in the shape of `trustpulse metrics --json`:
    group, n (complaints used), value = CSAT points per hour with ci_low/ci_high, small_sample
    (n < min_n), p_value, and the slope on the 1-5 scale (`score_per_hour`).

    Complaints opened in --since/--until (brand-local dates). Raises InvalidInputError for a
    `by` other than brand, NotFoundError for an unknown brand.
    """
    flt = flt or Slice()
    if set(by) - set(BY):
        raise InvalidInputError("response-time effect can be grouped by brand only", field="by")
    config = load_metrics_config(settings, brand=flt.brand)
    cases = complaint_samples(
        session, brands=brands_in_scope(session, flt), since=flt.since, until=flt.until
    )
    groups: dict[tuple[str | None, ...], list[tuple[float, float, float]]] = defaultdict(list)
    for case in cases:
        if case.first_response_hours is None or not case.followup_csat:
            continue
        answers = np.asarray(case.followup_csat)
        key: tuple[str | None, ...] = (case.brand,) if by else ()
        groups[key].append(
            (
                case.first_response_hours,
                100.0 * float(np.mean(answers >= config.csat_top_box_min)),
                float(np.mean(answers)),
            )
        )
    if not groups and not by:
        groups[()] = []
    rows = []
    for key in sorted(groups, key=lambda k: tuple(v or "" for v in k)):
        data = np.asarray(groups[key], dtype=np.float64).reshape(-1, 3)
        x = data[:, 0]
        points, score = ols_slope(x, data[:, 1]), ols_slope(x, data[:, 2])
        rows.append(
            {
                "group": dict(zip(by, key, strict=True)),
                "metric": "response_time_effect",
                "unit": UNIT,
                "n": len(x),
                "value": None if points is None else points.slope,
                "ci_low": None if points is None else points.ci_low,
                "ci_high": None if points is None else points.ci_high,
                "small_sample": len(x) < config.min_n,
                "p_value": None if points is None else points.p_value,
                "score_per_hour": None
                if score is None
                else {"value": score.slope, "ci_low": score.ci_low, "ci_high": score.ci_high},
                "mean_first_response_hours": float(x.mean()) if len(x) else None,
                "followup_csat_points": float(data[:, 1].mean()) if len(x) else None,
                "method": "OLS of follow-up CSAT (top-box points) on first-response hours, "
                "HC1 robust SE, t interval",
            }
        )
    return rows

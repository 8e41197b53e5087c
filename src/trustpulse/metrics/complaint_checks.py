"""Before/after checks on complaint facts: complaint metrics and root-cause recurrence.

Complaint metrics are verified on the complaints **opened** in each window (complaint_samples):
times (`median_first_response_hours`, `median_resolution_hours`; lower is better) by
Mann-Whitney U with the difference of medians; `followup_csat` (mean answer 1-5 of the follow-up
surveys) by Welch's t-test with the difference of means and its Welch interval.

Recurrence of a root cause: complaints with that root cause opened in the window per 1,000
customers (customers of the brand first seen before the window ended). The rates are compared as
Poisson rates with exposure customers x window days (so windows of different length compare
fairly): conditional on the total k, the after-window count is Binomial(k, E_after / E_total)
under no change — an exact test (scipy binomtest) whose Clopper-Pearson interval gives the rate
ratio's interval.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type stubs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.customers.models import Brand, Customer
from trustpulse.metrics.complaint_samples import complaint_samples, count_complaints
from trustpulse.metrics.periods import utc_range

# metric -> lower is better
COMPLAINT_METRICS: dict[str, bool] = {
    "median_first_response_hours": True,
    "median_resolution_hours": True,
    "followup_csat": False,
}
Window = tuple[date, date]


def complaint_values(session: Session, brand: Brand, metric: str, window: Window) -> list[float]:
    """The per-case values behind a complaint metric (follow-up CSAT: every answer, as the
    complaint KPIs average answers) for complaints opened in the window."""
    cases = complaint_samples(session, brands=[brand], since=window[0], until=window[1])
    if metric == "followup_csat":
        return [v for case in cases for v in case.followup_csat]
    attribute = {
        "median_first_response_hours": "first_response_hours",
        "median_resolution_hours": "resolution_hours",
    }[metric]
    return [float(v) for case in cases if (v := getattr(case, attribute)) is not None]


def compare_means(before: list[float], after: list[float]) -> dict[str, object]:
    """after - before: difference of means with Welch's t-test and its 95 % interval."""
    result = stats.ttest_ind(after, before, equal_var=False)
    interval = result.confidence_interval(0.95)
    p = float(result.pvalue)
    return {
        "test": "Welch t (difference of means)",
        "before_value": float(np.mean(before)),
        "after_value": float(np.mean(after)),
        "effect": float(np.mean(after) - np.mean(before)),
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
        "p_value": p if np.isfinite(p) else 1.0,  # no spread in either window: no evidence
    }


def _customers(session: Session, brand: Brand, end: date) -> int:
    _start, stop = utc_range(None, end, brand.timezone)
    seen = func.coalesce(Customer.first_seen_at, Customer.created_at)
    return int(
        session.scalar(select(func.count()).where(Customer.brand_id == brand.id, seen < stop)) or 0
    )


def recurrence(
    session: Session,
    *,
    brand: Brand,
    root_cause: str,
    before: Window,
    after: Window,
    alpha: float,
) -> dict[str, object]:
    """Root-cause complaints per 1,000 customers before vs after, rate ratio, exact p, verdict."""
    out: dict[str, object] = {"root_cause": root_cause}
    parts = {}
    for name, (since, until) in (("before", before), ("after", after)):
        k = count_complaints(session, brand=brand, since=since, until=until, root_cause=root_cause)
        customers = _customers(session, brand, until)
        days = (until - since).days + 1
        parts[name] = (k, customers * days)
        out |= {
            f"complaints_{name}": k,
            f"customers_{name}": customers,
            f"per_1000_customers_{name}": 1000.0 * k / customers if customers else None,
        }
    (k_before, e_before), (k_after, e_after) = parts["before"], parts["after"]
    if k_before + k_after == 0 or e_before == 0 or e_after == 0:
        return out | {"verdict": "too few complaints"}
    share = e_after / (e_before + e_after)
    test = stats.binomtest(k_after, k_before + k_after, share)
    interval = test.proportion_ci(0.95)
    odds = e_before / e_after

    def ratio(pi: float) -> float:
        return float("inf") if pi >= 1 else pi / (1 - pi) * odds

    rate_ratio = (k_after / e_after) / (k_before / e_before) if k_before else float("inf")
    p = float(test.pvalue)
    verdict = (
        "no detectable change"
        if p >= alpha
        else ("improved" if rate_ratio < 1 else "worse")  # fewer complaints: improved
    )
    return out | {
        "test": "exact conditional test of two Poisson rates (exposure customers x days)",
        "rate_ratio": rate_ratio,
        "ci_low": ratio(float(interval.low)),
        "ci_high": ratio(float(interval.high)),
        "p_value": p,
        "verdict": verdict,
    }

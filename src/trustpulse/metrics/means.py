"""Means from additive parts (n, sum, sum of squares) with a t interval; CES on 1-7."""

from __future__ import annotations

import math

from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type stubs

from trustpulse.metrics.estimate import DEFAULT_MIN_N, Estimate, empty
from trustpulse.metrics.proportions import wilson_interval

CES_LOW_EFFORT_MIN = 5  # 1-7 with 7 = very easy: 5, 6 and 7 count as low effort


def mean_interval(n: int, total: float, total_sq: float) -> tuple[float, float, float]:
    """(mean, low, high): the mean and its 95 % Student t interval from additive parts.

    The sample variance is (sum_sq - sum^2 / n) / (n - 1), floored at 0 against rounding.
    n = 1 gives an infinite-width interval (returned as the mean +/- inf).
    """
    if n <= 0:
        raise ValueError("a mean needs n >= 1")
    mean = total / n
    if n == 1:
        return mean, -math.inf, math.inf
    variance = max((total_sq - total * total / n) / (n - 1), 0.0)
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def ces_estimate(
    n: int, total: float, total_sq: float, low_effort: int, *, min_n: int = DEFAULT_MIN_N
) -> Estimate:
    """CES: mean on 1-7 (t interval) plus the low-effort share (fraction 0-1, Wilson)."""
    parts: dict[str, object] = {"low_effort": low_effort}
    if n == 0:
        return empty(parts)
    mean, low, high = mean_interval(n, total, total_sq)
    share_low, share_high = wilson_interval(low_effort, n)
    parts |= {
        "low_effort_share": low_effort / n,
        "low_effort_ci_low": share_low,
        "low_effort_ci_high": share_high,
    }
    finite = math.isfinite(low)
    return Estimate(n, mean, low if finite else None, high if finite else None, n < min_n, parts)

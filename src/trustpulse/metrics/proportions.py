"""Shares: the Wilson interval, CSAT as a top-box share and the two-proportion z-test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from trustpulse.metrics.estimate import DEFAULT_MIN_N, Z95, Estimate, empty

CSAT_TOP_BOX_MIN = 4  # top-2-box on the 1-5 scale: 4 and 5 count as satisfied (issue #4)


def wilson_interval(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial share, as fractions 0-1 (Wilson 1927).

    centre = (x + z^2/2) / (n + z^2), half = z * sqrt(x (n - x) / n + z^2 / 4) / (n + z^2).
    Raises ValueError for n = 0.
    """
    if n <= 0:
        raise ValueError("the Wilson interval needs n >= 1")
    z2 = z * z
    centre = (successes + z2 / 2) / (n + z2)
    half = z * math.sqrt(successes * (n - successes) / n + z2 / 4) / (n + z2)
    # at x = 0 or x = n a bound is exactly 0 or 1; rounding must not move it inside
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def csat_estimate(satisfied: int, n: int, *, min_n: int = DEFAULT_MIN_N) -> Estimate:
    """CSAT in points: 100 * satisfied / n, with the Wilson 95 % interval in points."""
    parts: dict[str, object] = {"satisfied": satisfied}
    if n == 0:
        return empty(parts)
    low, high = wilson_interval(satisfied, n)
    return Estimate(n, 100.0 * satisfied / n, 100.0 * low, 100.0 * high, n < min_n, parts)


@dataclass(frozen=True)
class ProportionDifference:
    """Share(a) - share(b) as a fraction, its 95 % Newcombe interval, z and two-sided p."""

    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def two_proportion_test(xa: int, na: int, xb: int, nb: int) -> ProportionDifference:
    """Pooled two-proportion z-test; the interval is Newcombe's hybrid score (method 10).

    Raises ValueError if either sample is empty.
    """
    if na <= 0 or nb <= 0:
        raise ValueError("both samples need n >= 1")
    pa, pb = xa / na, xb / nb
    pooled = (xa + xb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    diff = pa - pb
    z = diff / se if se > 0.0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p_value = 2.0 * (1.0 - NormalDist().cdf(abs(z))) if math.isfinite(z) else 0.0
    la, ua = wilson_interval(xa, na)
    lb, ub = wilson_interval(xb, nb)
    low = diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return ProportionDifference(diff, low, high, z, p_value)

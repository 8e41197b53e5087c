"""Net Promoter Score: the raw value, its adjusted-Wald interval and a two-sample difference test.

Promoters answer 9-10, passives 7-8, detractors 0-6 on the 0-10 likelihood-to-recommend scale.
NPS = %promoters - %detractors, in points (-100 ... 100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from trustpulse.metrics.estimate import DEFAULT_MIN_N, Z95, Estimate, clip, empty

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def nps_estimate(
    promoters: int, passives: int, detractors: int, *, min_n: int = DEFAULT_MIN_N
) -> Estimate:
    """Raw NPS in points with the adjusted-Wald 95 % interval of Rocks (2016).

    Method: Rocks, B. (2016) "Interval estimation for the net promoter score", The American
    Statistician 70(4), 365-372. Add 3 to n and 3/4 to the promoter and detractor counts;
    with p, d the adjusted shares the variance of one response is p + d - (p - d)**2; the
    interval is centred on the adjusted difference p - d, +/- z * sqrt(variance / (n + 3)),
    times 100 and clipped to [-100, 100]. For tiny n the raw value can lie outside that
    interval: such results carry small_sample = True.
    """
    n = promoters + passives + detractors
    parts: dict[str, object] = {
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
    }
    if n == 0:
        return empty(parts)
    raw = 100.0 * (promoters - detractors) / n
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    half = Z95 * math.sqrt((p + d - centre**2) / n_adj)
    return Estimate(
        n=n,
        value=raw,
        ci_low=clip(100.0 * (centre - half), -100.0, 100.0),
        ci_high=clip(100.0 * (centre + half), -100.0, 100.0),
        small_sample=n < min_n,
        extra=parts,
    )


@dataclass(frozen=True)
class NpsDifference:
    """NPS(a) - NPS(b) in points, its 95 % interval and the two-sided p-value of no difference."""

    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def nps_difference(a: tuple[int, int, int], b: tuple[int, int, int]) -> NpsDifference:
    """Compare two independent samples, each given as (promoters, passives, detractors).

    The interval is the adjusted-Wald interval applied to each sample (3/4 added to promoters
    and detractors, 3 to n, as in Rocks 2016) with the two variances summed, clipped to
    [-200, 200]. The test is a Wald z-test on the raw shares (variance p + d - (p - d)**2 per
    response, estimated per sample); a sample with zero variance (all one category) contributes
    none. Raises ValueError if either sample is empty.
    """
    (pa, ma, da), (pb, mb, db) = a, b
    na, nb = pa + ma + da, pb + mb + db
    if na == 0 or nb == 0:
        raise ValueError("both samples need at least one response")

    def adjusted(p: int, d: int, n: int) -> tuple[float, float]:
        pp, dd = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
        return pp - dd, (pp + dd - (pp - dd) ** 2) / (n + 3)

    def raw(p: int, d: int, n: int) -> tuple[float, float]:
        pp, dd = p / n, d / n
        return pp - dd, (pp + dd - (pp - dd) ** 2) / n

    (ca, va), (cb, vb) = adjusted(pa, da, na), adjusted(pb, db, nb)
    half = Z95 * math.sqrt(va + vb)
    (ra, wa), (rb, wb) = raw(pa, da, na), raw(pb, db, nb)
    diff = ra - rb
    se = math.sqrt(wa + wb)
    z = diff / se if se > 0.0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p_value = 2.0 * (1.0 - NormalDist().cdf(abs(z))) if math.isfinite(z) else 0.0
    return NpsDifference(
        difference=100.0 * diff,
        ci_low=clip(100.0 * (ca - cb - half), -200.0, 200.0),
        ci_high=clip(100.0 * (ca - cb + half), -200.0, 200.0),
        z=z,
        p_value=p_value,
    )

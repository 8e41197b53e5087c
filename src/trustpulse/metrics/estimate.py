"""The shape every metric returns: a value in its unit, its 95 % interval, n and a small-n flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054
DEFAULT_MIN_N = 30  # below this a value is flagged small_sample (configurable per call)


@dataclass(frozen=True)
class Estimate:
    """One metric value with its uncertainty.

    `value`, `ci_low` and `ci_high` are in the metric's unit (NPS and indices in points, rates as
    fractions 0-1); they are None when there is nothing to estimate (n = 0, or an incomplete
    index). `extra` holds the metric's additive parts and secondary values (JSON-serialisable).
    """

    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "small_sample": self.small_sample,
            **self.extra,
        }


def empty(extra: dict[str, object] | None = None) -> Estimate:
    return Estimate(0, None, None, None, True, extra or {})


def clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)

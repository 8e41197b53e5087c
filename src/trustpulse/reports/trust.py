"""Trust metrics shaped for the overview and the report: series by period, headline vs target.

Everything is computed by the metrics engine (metrics.engine.compute_metric), which scopes by
brand itself, through metrics.cache: NPS, CSAT and CES come from the daily rollups while they
are fresh, and results are reused until the data changes. A segment filter is applied by
grouping on `segment` and keeping that segment's rows, since the engine's Slice filters feedback
columns only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.metrics import cache, engine
from trustpulse.metrics.periods import period_bounds
from trustpulse.metrics.query import Slice
from trustpulse.reports.targets import Status, Target, load_targets, target_status

HEADLINE_METRICS = ("trust_index", "nps", "csat", "ces")


@dataclass(frozen=True)
class Point:
    """One estimate: `period` is a label such as 2026-03 or 2026Q1 ('' for the whole slice)."""

    period: str
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool
    extra: dict[str, object]

    @property
    def bounds(self) -> tuple[str, str] | None:
        """(first day, last day) ISO dates of the period, for links to its breakdown."""
        if not self.period:
            return None
        start, end = period_bounds(self.period)
        return start.isoformat(), (end - timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Headline:
    metric: str
    unit: str
    current: Point | None  # the latest period
    previous: Point | None  # the period before it
    target: Target | None
    status: Status

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


def _point(row: dict[str, object], period: str) -> Point:
    known = {"group", "metric", "unit", "n", "value", "ci_low", "ci_high", "small_sample"}

    def number(key: str) -> float | None:
        value = row.get(key)
        return float(value) if isinstance(value, int | float) else None

    n = row.get("n")
    return Point(
        period=period,
        n=int(n) if isinstance(n, int | float) else 0,
        value=number("value"),
        ci_low=number("ci_low"),
        ci_high=number("ci_high"),
        small_sample=bool(row.get("small_sample")),
        extra={k: v for k, v in row.items() if k not in known},
    )


def metric_by(
    session: Session,
    metric: str,
    *,
    settings: Settings,
    flt: Slice,
    by: Sequence[str],
    segment: str | None = None,
) -> list[tuple[dict[str, str | None], Point]]:
    """[(group, estimate)] for each slice of `by`, optionally within one customer segment
    (a filter: only that segment's responses are read)."""
    if segment is not None:
        flt = replace(flt, where={**flt.where, "segment": [segment]})
    rows = cache.cached_metric(session, metric, settings=settings, by=list(by), flt=flt)
    out = []
    for row in rows:
        group = row["group"]
        assert isinstance(group, dict)  # noqa: S101 -- compute_metric's documented shape
        shown = {k: v for k, v in group.items() if k in by}
        period = next((str(v) for k, v in shown.items() if k in _PERIODS and v), "")
        out.append((shown, _point(row, period)))
    return out


_PERIODS = ("day", "week", "month", "quarter")


def series(
    session: Session,
    metric: str,
    *,
    settings: Settings,
    flt: Slice,
    period: str = "month",
    segment: str | None = None,
) -> list[Point]:
    """The metric per period (ascending) with 95 % intervals."""
    rows = metric_by(session, metric, settings=settings, flt=flt, by=[period], segment=segment)
    return sorted((p for _g, p in rows), key=lambda p: p.period)


def headline(
    metric: str, quarters: Sequence[Point], *, settings: Settings, brand: str | None
) -> Headline:
    """The latest quarter against the configured target, and its change vs the one before."""
    target = load_targets(settings, brand=brand).targets.get(metric)
    current = quarters[-1] if quarters else None
    previous = quarters[-2] if len(quarters) > 1 else None
    status: Status = "no_data"
    if current is not None and target is not None:
        status = target_status(current.value, current.ci_low, current.ci_high, target.target)
    return Headline(metric, engine.UNITS[metric], current, previous, target, status)

"""Registered metrics: every named metric an indicator-tree leaf (or a target) can point at.

Names: the engine's metrics (nps, csat, ces, csi, trust_index), `score:<metric>` (the mean of
any survey score, e.g. score:tp_delivery_speed), the complaint KPIs (complaints/kpis.py:
first_response_attainment, complaint_resolution_rate, ...) and the customer behaviour rates
(active_feedback_rate, repurchase_rate, repurchase_cycle_days). Each computes one value for a
slice (brand or all brands, inclusive local --since/--until) with its n and, where defined, a
95 % interval.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Order
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics import engine
from trustpulse.metrics.complaint_leaves import ComplaintFacts
from trustpulse.metrics.means import mean_interval
from trustpulse.metrics.periods import utc_range
from trustpulse.metrics.proportions import wilson_interval
from trustpulse.metrics.query import Slice, brands_in_scope, period_window, score_parts
from trustpulse.metrics.schemas import COMPLAINT_LEAF_METRICS


@dataclass(frozen=True)
class Value:
    """One metric over one slice, in the metric's unit (None: nothing to measure)."""

    value: float | None
    n: int
    ci_low: float | None = None
    ci_high: float | None = None


Compute = Callable[[Session, Settings, Slice], Value]


@dataclass(frozen=True)
class Registered:
    name: str
    unit: str
    natural: bool  # already on 0-100 points: a tree leaf may use normalise: natural
    filterable: bool  # takes a feedback filter (channel, kind, touchpoint, product)
    compute: Compute


def _engine_metric(metric: str) -> Compute:
    def compute(session: Session, settings: Settings, flt: Slice) -> Value:
        rows = engine.compute_metric(session, metric, settings=settings, by=[], flt=flt)
        if not rows:
            return Value(None, 0)
        row = rows[0]
        return Value(
            _float(row["value"]), int(str(row["n"])), _float(row["ci_low"]), _float(row["ci_high"])
        )

    return compute


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _score_mean(metric: str) -> Compute:
    def compute(session: Session, _settings: Settings, flt: Slice) -> Value:
        parts = score_parts(
            session,
            metric,
            {
                "n": func.count(),
                "sum": func.sum(Score.value),
                "sum_sq": func.sum(Score.value * Score.value),
            },
            by=[],
            flt=flt,
        )
        p = parts.get(())
        if p is None or not p["n"]:
            return Value(None, 0)
        mean, low, high = mean_interval(int(p["n"]), p["sum"], p["sum_sq"])
        return Value(mean, int(p["n"]), low, high)

    return compute


def _complaint_metric(metric: str) -> Compute:
    def compute(session: Session, _settings: Settings, flt: Slice) -> Value:
        facts = ComplaintFacts(session)
        window = period_window({}, flt)
        brands = brands_in_scope(session, flt)
        rows = [r for b in brands if (r := facts.of(b, window)) is not None]
        n = sum(r.n for r in rows)
        if metric == "complaint_resolution_rate":
            resolved = sum(r.resolved for r in rows)
            if not n:
                return Value(None, 0)
            low, high = wilson_interval(resolved, n)
            return Value(resolved / n, n, low, high)
        return Value(facts.value(brands, window, metric), n)

    return compute


def _windows(session: Session, flt: Slice) -> list[tuple[Brand, datetime | None, datetime | None]]:
    out = []
    for brand in brands_in_scope(session, flt):
        start, end = utc_range(flt.since, flt.until, brand.timezone)
        out.append((brand, start, end))
    return out


def _in_window(
    session: Session,
    flt: Slice,
    brand_col: InstrumentedAttribute[int],
    at: InstrumentedAttribute[datetime],
) -> ColumnElement[bool]:
    clauses = []
    for brand, start, end in _windows(session, flt):
        parts = [brand_col == brand.id]
        if start is not None:
            parts.append(at >= start)
        if end is not None:
            parts.append(at < end)
        clauses.append(and_(*parts))
    return or_(*clauses) if clauses else and_(brand_col.is_(None), brand_col.is_not(None))


def _buyers(session: Session, flt: Slice) -> dict[int, int]:
    """{customer id: orders in the slice's window}."""
    where = _in_window(session, flt, Order.brand_id, Order.ordered_at)
    rows = session.execute(
        select(Order.customer_id, func.count()).where(where).group_by(Order.customer_id)
    )
    return {int(c): int(k) for c, k in rows}


def _active_feedback_rate(session: Session, _settings: Settings, flt: Slice) -> Value:
    """Customers with >= 1 feedback in the window / customers with >= 1 order in it."""
    buyers = _buyers(session, flt)
    if not buyers:
        return Value(None, 0)
    where = _in_window(session, flt, Feedback.brand_id, Feedback.occurred_at)
    voiced = set(
        session.scalars(
            select(Feedback.customer_id).where(where, Feedback.customer_id.is_not(None)).distinct()
        )
    )
    # customers who gave feedback but ordered nothing in the window are not in the denominator
    active = sum(1 for c in buyers if c in voiced)
    low, high = wilson_interval(active, len(buyers))
    return Value(active / len(buyers), len(buyers), low, high)


def _repurchase_rate(session: Session, _settings: Settings, flt: Slice) -> Value:
    """Customers with >= 2 orders in the window / customers with >= 1."""
    buyers = _buyers(session, flt)
    if not buyers:
        return Value(None, 0)
    again = sum(1 for k in buyers.values() if k >= 2)
    low, high = wilson_interval(again, len(buyers))
    return Value(again / len(buyers), len(buyers), low, high)


def _repurchase_cycle(session: Session, _settings: Settings, flt: Slice) -> Value:
    """Median days between a customer's consecutive orders in the window; n = such gaps."""
    where = _in_window(session, flt, Order.brand_id, Order.ordered_at)
    rows = session.execute(
        select(Order.customer_id, Order.ordered_at)
        .where(where)
        .order_by(Order.customer_id, Order.ordered_at)
    )
    gaps, last = [], None
    for customer, at in rows:
        if last is not None and last[0] == customer:
            gaps.append((at - last[1]).total_seconds() / 86400)
        last = (customer, at)
    return Value(statistics.median(gaps) if gaps else None, len(gaps))


REGISTRY: dict[str, Registered] = {
    **{
        m: Registered(
            m, engine.UNITS[m], m in {"csat", "csi", "trust_index"}, True, _engine_metric(m)
        )
        for m in engine.METRICS
    },
    **{
        m: Registered(
            m,
            "hours"
            if m.endswith("_hours")
            else ("mean on 1..5" if m == "followup_csat" else "fraction 0..1"),
            False,
            False,
            _complaint_metric(m),
        )
        for m in (*COMPLAINT_LEAF_METRICS, "complaint_resolution_rate")
    },
    "active_feedback_rate": Registered(
        "active_feedback_rate", "fraction 0..1", False, False, _active_feedback_rate
    ),
    "repurchase_rate": Registered(
        "repurchase_rate", "fraction 0..1", False, False, _repurchase_rate
    ),
    "repurchase_cycle_days": Registered(
        "repurchase_cycle_days", "days", False, False, _repurchase_cycle
    ),
}
SCORE_PREFIX = "score:"


def find_metric(name: str) -> Registered | None:
    """The registered metric `name` (score:<metric> for any survey score), else None."""
    if name.startswith(SCORE_PREFIX) and len(name) > len(SCORE_PREFIX):
        return Registered(name, "mean score", False, True, _score_mean(name[len(SCORE_PREFIX) :]))
    return REGISTRY.get(name)


def registered_names() -> list[str]:
    return [*REGISTRY, f"{SCORE_PREFIX}<score metric>"]


def compute_registered(
    session: Session,
    name: str,
    *,
    settings: Settings,
    flt: Slice,
    where: Mapping[str, Sequence[str]] | None = None,
) -> Value:
    """One registered metric over a slice; InvalidInputError for an unknown name."""
    metric = find_metric(name)
    if metric is None:
        raise InvalidInputError(f"unknown metric {name!r}", field="metric")
    if where:
        flt = Slice(flt.brand, flt.channel, flt.since, flt.until, dict(where))
    return metric.compute(session, settings, flt)

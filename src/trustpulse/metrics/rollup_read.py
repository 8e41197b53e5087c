"""NPS, CSAT and CES from the daily rollups: the warm path of `trustpulse metrics`.

A slice can use the rollups when every --by dimension is a rollup key or a period and the
filters are brand, channel, touchpoint, segment and local dates (the rollup's day is already
the brand's local date, so --since/--until are exact). Threshold counts (promoters, satisfied,
low effort) come from the 0-10 histogram, which is exact only for integer scores: if a slice
holds any other value (h_other > 0) the rollups are not used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Text, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from trustpulse.customers.models import Brand
from trustpulse.errors import InvalidInputError
from trustpulse.metrics.estimate import Estimate
from trustpulse.metrics.means import ces_estimate
from trustpulse.metrics.nps import DETRACTOR_MAX, PROMOTER_MIN, nps_estimate
from trustpulse.metrics.periods import PERIOD_DIMENSIONS, period_label
from trustpulse.metrics.proportions import csat_estimate
from trustpulse.metrics.query import GroupKey, Slice, brands_in_scope
from trustpulse.metrics.rollup_models import HISTOGRAM_VALUES, MetricRollup, RollupState
from trustpulse.metrics.rollups import STATE_NAME
from trustpulse.metrics.schemas import MetricsConfig

ROLLUP_METRICS = ("nps", "csat", "ces")
ROLLUP_DIMENSIONS = ("brand", "channel", "touchpoint", "segment", *PERIOD_DIMENSIONS)
SOURCES = ("raw", "rollup", "auto")


@dataclass
class RollupParts:
    n: int
    total: float
    total_sq: float
    histogram: list[int]  # counts of the values 0..10
    other: int  # values that are not an integer 0..10

    def at_least(self, threshold: float) -> int:
        return sum(c for k, c in enumerate(self.histogram) if k >= threshold)

    def at_most(self, threshold: float) -> int:
        return sum(c for k, c in enumerate(self.histogram) if k <= threshold)


def unsupported(by: Sequence[str], flt: Slice) -> str | None:
    """Why the rollups cannot answer this slice, or None if they can."""
    extra = [d for d in by if d not in ROLLUP_DIMENSIONS]
    if extra:
        return f"dimension {extra[0]!r} is not in the rollups"
    filters = [f for f in flt.where if f not in {"touchpoint", "segment"}]
    if filters:
        return f"filter {filters[0]!r} is not in the rollups"
    return None


def _column(name: str) -> ColumnElement[Any] | Any:
    columns = {
        "brand": Brand.code,
        "channel": MetricRollup.channel,
        "touchpoint": MetricRollup.touchpoint,
        "segment": MetricRollup.segment,
    }
    return columns[name]


# ISO week-numbering year and week (%G, %V) came to SQLite's strftime in 3.46.0
_SQLITE_ISO_WEEK = sqlite3.sqlite_version_info >= (3, 46, 0)


def _period_sql(dialect: str, period: str) -> ColumnElement[Any] | None:
    """The period label of MetricRollup.day computed in SQL (equal to periods.period_label), or
    None when this database cannot compute it exactly (then the day is mapped in Python).

    Formats are literal SQL, not bound parameters, so the SELECT and GROUP BY expressions are
    identical (PostgreSQL rejects `GROUP BY to_char(day, $2)` for `SELECT to_char(day, $1)`)."""
    day = MetricRollup.day
    if dialect == "postgresql":
        formats = {"month": "'YYYY-MM'", "quarter": "'YYYY\"Q\"Q'", "week": "'IYYY-\"W\"IW'"}
        if period in formats:
            return func.to_char(day, literal_column(formats[period]))
        return None
    if dialect == "sqlite":
        if period == "month":
            return func.strftime(literal_column("'%Y-%m'"), day)
        if period == "quarter":
            month = cast(func.strftime(literal_column("'%m'"), day), Integer)
            return (
                func.strftime(literal_column("'%Y'"), day)
                .concat(literal_column("'Q'"))
                .concat(
                    cast(
                        (month + literal_column("2", Integer)) // literal_column("3", Integer), Text
                    )
                )
            )
        if period == "week" and _SQLITE_ISO_WEEK:
            return func.strftime(literal_column("'%G-W%V'"), day)
    return None


def rollup_parts(
    session: Session, metric: str, *, by: Sequence[str], flt: Slice
) -> dict[GroupKey, RollupParts]:
    """{group: summed parts} of one score metric from the rollups, summed in SQL.

    Month, quarter and ISO week labels are computed in SQL and grouped on, so one row per group
    comes back; `day` (and a week where the database cannot label it exactly, e.g. SQLite before
    3.46) groups by the local day, which is mapped to its label in Python and summed there."""
    brands = brands_in_scope(session, flt)
    if not brands:
        return {}
    dialect = session.get_bind().dialect.name
    # per --by dimension: ("sql", index of its column) or ("day", index of the day column)
    keys: list[ColumnElement[Any] | Any] = []
    plan: list[tuple[str, int]] = []
    day_index: int | None = None
    for d in by:
        expr = _period_sql(dialect, d) if d in PERIOD_DIMENSIONS else _column(d)
        if expr is not None:
            plan.append(("sql", len(keys)))
            keys.append(expr)
            continue
        if day_index is None:
            day_index = len(keys)
            keys.append(MetricRollup.day)
        plan.append(("day", day_index))
    histogram = [func.sum(getattr(MetricRollup, f"h{k}")) for k in HISTOGRAM_VALUES]
    stmt = (
        select(
            *keys,
            func.sum(MetricRollup.n),
            func.sum(MetricRollup.total),
            func.sum(MetricRollup.total_sq),
            func.sum(MetricRollup.h_other),
            *histogram,
        )
        .select_from(MetricRollup)
        .join(Brand, Brand.id == MetricRollup.brand_id)
        .where(
            MetricRollup.metric == metric,
            MetricRollup.brand_id.in_([b.id for b in brands]),
        )
    )
    stmt = stmt.where(*_slice_clauses(flt))
    if keys:
        stmt = stmt.group_by(*keys)
    out: dict[GroupKey, RollupParts] = {}
    width = len(keys)
    for row in session.execute(stmt):
        n, total, total_sq, other, *counts = row[width:]
        if not n:
            continue
        key = tuple(
            period_label(_day(row[i]), d) if how == "day" else _label(row[i])
            for d, (how, i) in zip(by, plan, strict=True)
        )
        histogram_counts = [int(c or 0) for c in counts]
        parts = out.get(key)
        if parts is None:
            out[key] = RollupParts(
                int(n), float(total or 0), float(total_sq or 0), histogram_counts, int(other or 0)
            )
            continue
        # several days (or ISO weeks mapped in Python) fall into this group
        parts.n += int(n)
        parts.total += float(total or 0)
        parts.total_sq += float(total_sq or 0)
        parts.other += int(other or 0)
        parts.histogram = [a + b for a, b in zip(parts.histogram, histogram_counts, strict=True)]
    return out


def _slice_clauses(flt: Slice) -> list[ColumnElement[bool]]:
    """The slice's filters on rollup rows (those `unsupported` lets through)."""
    where: list[ColumnElement[bool]] = []
    if flt.channel is not None:
        where.append(MetricRollup.channel == flt.channel)
    for column in ("touchpoint", "segment"):
        if column in flt.where:
            where.append(getattr(MetricRollup, column).in_(list(flt.where[column])))
    if flt.since is not None:
        where.append(MetricRollup.day >= flt.since)
    if flt.until is not None:
        where.append(MetricRollup.day <= flt.until)
    return where


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _label(value: object) -> str | None:
    return None if value is None else str(value)


def rollup_estimates(
    session: Session,
    metric: str,
    *,
    config: MetricsConfig,
    by: Sequence[str],
    flt: Slice,
    source: str,
) -> dict[GroupKey, Estimate] | None:
    """Estimates from the rollups, or None when `source` is auto and the rollups cannot answer
    exactly (unsupported slice, never built, non-integer scores). With source "rollup" those
    cases raise InvalidInputError instead."""
    if source not in SOURCES:
        raise InvalidInputError(f"unknown source {source!r}; choose from raw, rollup, auto")
    if source == "raw":
        return None
    reason = unsupported(by, flt) if metric in ROLLUP_METRICS else f"{metric} is not rolled up"
    if reason is None and session.get(RollupState, STATE_NAME) is None:
        reason = "the rollups were never built (trustpulse metrics rollup)"
    metric_name = {"nps": config.nps_metric, "csat": config.csat_metric}.get(
        metric, config.ces_metric
    )
    parts = {} if reason else rollup_parts(session, metric_name, by=by, flt=flt)
    if reason is None and any(p.other for p in parts.values()):
        reason = f"{metric_name} has values that are not integers 0..10"
    if reason is not None:
        if source == "rollup":
            raise InvalidInputError(f"cannot use the rollups: {reason}", field="source")
        return None
    if metric == "nps":
        return {
            key: nps_estimate(
                p.at_least(PROMOTER_MIN),
                p.n - p.at_least(PROMOTER_MIN) - p.at_most(DETRACTOR_MAX),
                p.at_most(DETRACTOR_MAX),
                min_n=config.min_n,
            )
            for key, p in parts.items()
        }
    if metric == "csat":
        return {
            key: csat_estimate(p.at_least(config.csat_top_box_min), p.n, min_n=config.min_n)
            for key, p in parts.items()
        }
    return {
        key: ces_estimate(
            p.n, p.total, p.total_sq, p.at_least(config.ces_low_effort_min), min_n=config.min_n
        )
        for key, p in parts.items()
    }

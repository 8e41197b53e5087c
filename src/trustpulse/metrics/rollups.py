"""Daily rollups of survey scores: built in SQL, incrementally, one row per local day x brand x
channel x touchpoint x segment x metric with additive parts only.

Incremental build: the state row remembers the highest feedback id and the latest
feedback.updated_at seen. A build finds the (brand, local day) pairs of feedback with a higher id
(new rows, even back-dated ones) or with updated_at at or after the watermark minus
`UPDATE_OVERLAP` (re-imported rows; the overlap catches transactions that committed late), then
deletes and recomputes every day of each brand from its first to its last touched day. Rebuilding
a day is idempotent, so scanning too much is harmless. Not seen incrementally (run `--full`):
deleted feedback, a feedback moved to another day (its old day keeps it), and changed customer
segments (Customer.segment is denormalised into the rollup).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from trustpulse.customers.models import Brand, Customer
from trustpulse.db import utcnow
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.query import Slice, _plan, brands_in_scope
from trustpulse.metrics.rollup_models import HISTOGRAM_VALUES, MetricRollup, RollupState

STATE_NAME = "daily"
UPDATE_OVERLAP = timedelta(minutes=10)
ROLLUP_KEYS = ("brand", "channel", "touchpoint", "segment", "day")
PART_NAMES = ("n", "total", "total_sq", *(f"h{k}" for k in HISTOGRAM_VALUES), "h_other")
_TABLE = cast("Table", MetricRollup.__table__)
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class RollupBuild:
    full: bool
    brands: int  # brands with rebuilt days
    days: int  # brand-days rebuilt (each brand from its first to its last touched day)
    rows: int  # rollup rows written


def _aggregates() -> list[ColumnElement[Any]]:
    value = Score.value
    counts = [func.sum(case((value == k, 1), else_=0)) for k in HISTOGRAM_VALUES]
    return [func.count(), func.sum(value), func.sum(value * value), *counts]


def _from_feedback(stmt: Any) -> Any:
    return stmt.select_from(Feedback).join(Brand, Brand.id == Feedback.brand_id)


def _touched_days(session: Session, state: RollupState | None) -> dict[str, set[date]]:
    """{brand code: local days} of feedback new or updated since the last build."""
    brands = brands_in_scope(session, Slice())
    plan = _plan(session, ["brand", "day"], Slice(), brands)
    changed: ColumnElement[bool] = Feedback.id > (state.max_feedback_id if state else 0)
    if state is not None and state.updated_watermark is not None:
        changed = or_(changed, Feedback.updated_at >= state.updated_watermark - UPDATE_OVERLAP)
    stmt = _from_feedback(select(*plan.keys)).where(changed).group_by(*plan.keys)
    out: dict[str, set[date]] = defaultdict(set)
    for row in session.execute(stmt):
        code, day = plan.to_group(row)
        assert code is not None  # noqa: S101 -- every feedback has a brand
        assert day is not None  # noqa: S101 -- "day" was asked for
        out[code].add(date.fromisoformat(day))
    return dict(out)


def _compute(session: Session, flt: Slice) -> dict[tuple[str | None, ...], list[float]]:
    """{(brand, channel, touchpoint, segment, day, metric): parts} for a slice, summed in SQL."""
    brands = brands_in_scope(session, flt)
    plan = _plan(session, list(ROLLUP_KEYS), flt, brands)
    keys = [*plan.keys, Score.metric]
    stmt = (
        select(*keys, *_aggregates())
        .select_from(Feedback)
        .join(Score, Score.feedback_id == Feedback.id)
        .join(Brand, Brand.id == Feedback.brand_id)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(*plan.where)
        .group_by(*keys)
    )
    width = len(plan.keys)
    out: dict[tuple[str | None, ...], list[float]] = {}
    for row in session.execute(stmt):
        key = (*plan.to_group(row), str(row[width]))
        parts = [float(v or 0) for v in row[width + 1 :]]
        # several UTC buckets can fall on one local day (SQLite, zones with daylight saving)
        if key in out:
            out[key] = [a + b for a, b in zip(out[key], parts, strict=True)]
        else:
            out[key] = parts
    return out


def _write(session: Session, parts: dict[tuple[str | None, ...], list[float]]) -> int:
    ids = {b.code: b.id for b in brands_in_scope(session, Slice())}
    records = []
    for (brand, channel, touchpoint, segment, day, metric), p in parts.items():
        n, total, total_sq, *histogram = p
        assert brand is not None  # noqa: S101 -- grouped by brand
        assert day is not None  # noqa: S101 -- grouped by day
        counts = [int(c) for c in histogram]
        records.append(
            {
                "brand_id": ids[brand],
                "day": date.fromisoformat(day),
                "channel": channel,
                "touchpoint": touchpoint,
                "segment": segment,
                "metric": metric,
                "n": int(n),
                "total": total,
                "total_sq": total_sq,
                **{f"h{k}": counts[k] for k in HISTOGRAM_VALUES},
                "h_other": int(n) - sum(counts),
            }
        )
    for start in range(0, len(records), _INSERT_CHUNK):
        session.execute(insert(_TABLE), records[start : start + _INSERT_CHUNK])
    return len(records)


def build_rollups(session: Session, *, full: bool = False) -> RollupBuild:
    """Rebuild the daily rollups of the days touched since the last build (all with full=True).

    Never commits; the caller's transaction makes the delete and the rebuild one change.
    """
    state = session.get(RollupState, STATE_NAME)
    latest = session.execute(select(func.max(Feedback.id), func.max(Feedback.updated_at))).one()
    max_id, max_updated = cast("tuple[int | None, datetime | None]", tuple(latest))
    written = brand_count = day_count = 0
    if full or state is None:
        session.execute(delete(MetricRollup))
        written = _write(session, _compute(session, Slice()))
        spans = session.execute(
            select(MetricRollup.brand_id, func.count(func.distinct(MetricRollup.day))).group_by(
                MetricRollup.brand_id
            )
        ).all()
        brand_count, day_count = len(spans), sum(int(c) for _, c in spans)
        full = True
    else:
        for code, days in sorted(_touched_days(session, state).items()):
            first, last = min(days), max(days)
            brand_id = brands_in_scope(session, Slice(brand=code))[0].id
            session.execute(
                delete(MetricRollup).where(
                    MetricRollup.brand_id == brand_id,
                    MetricRollup.day >= first,
                    MetricRollup.day <= last,
                )
            )
            written += _write(
                session, _compute(session, Slice(brand=code, since=first, until=last))
            )
            brand_count += 1
            day_count += (last - first).days + 1
    if state is None:
        state = RollupState(name=STATE_NAME)
        session.add(state)
    state.max_feedback_id = int(max_id or 0)
    state.updated_watermark = max_updated if max_updated is not None else state.updated_watermark
    state.built_at = utcnow()
    session.flush()
    return RollupBuild(full=full, brands=brand_count, days=day_count, rows=written)


def rollup_state(session: Session) -> RollupState | None:
    return session.get(RollupState, STATE_NAME)

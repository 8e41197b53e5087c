"""Slices of survey scores computed in SQL (both dialects): additive parts grouped by dimensions.

The database does the heavy work: GROUP BY the requested dimensions plus the local day, and
return counts and sums. Python then only maps local days to period labels (day, ISO week, month,
quarter) and adds the parts up, which is exact because the parts are additive.

Local days are cut in each brand's time zone. PostgreSQL converts exactly with
timezone(brand.timezone, occurred_at). SQLite stores naive-UTC text; for zones with a fixed
offset (Asia/Shanghai) it shifts by that offset with date(occurred_at, '+480 minutes'), and for
zones with daylight saving it groups by UTC quarter-hour and converts each bucket in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.bootstrap import FloatArray
from trustpulse.metrics.periods import (
    PERIOD_DIMENSIONS,
    fixed_offset_minutes,
    local_date_of_bucket,
    period_bounds,
    period_label,
    utc_range,
)
from trustpulse.metrics.rollup_models import CustomerSegment
from trustpulse.text.models import FeedbackAnalysis

if TYPE_CHECKING:
    from trustpulse.metrics.columns import ColumnSet

GROUP_DIMENSIONS = (
    "brand",
    "channel",
    "touchpoint",
    "product",
    "region",
    "segment",
    "tier",
    "trust_type",
    "value_tier",
    *PERIOD_DIMENSIONS,
)
SEGMENT_DIMENSIONS = ("trust_type", "value_tier")  # from customer_segments (segments build)
FEEDBACK_FILTERS = ("channel", "kind", "touchpoint", "product")
SLICE_FILTERS = (*FEEDBACK_FILTERS, "segment")  # segment: the customer's (customers.segment)
POSITIVE_LABEL = "positive"  # text/default_model.py labels: negative, neutral, positive

GroupKey = tuple[str | None, ...]
Key = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Slice:
    """Which feedback counts: brand code, channel, inclusive local dates, extra column filters."""

    brand: str | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)


def parse_by(by: str | Sequence[str] | None) -> list[str]:
    """'brand,month' -> ['brand', 'month']; raises InvalidInputError for unknown dimensions."""
    if by is None:
        return []
    parts = by.split(",") if isinstance(by, str) else list(by)
    names = [p.strip() for p in parts if p.strip()]
    unknown = [n for n in names if n not in GROUP_DIMENSIONS]
    if unknown:
        raise InvalidInputError(
            f"unknown --by dimension {unknown[0]!r}; choose from {', '.join(GROUP_DIMENSIONS)}",
            field="by",
        )
    if len(set(names)) != len(names):
        raise InvalidInputError("a --by dimension is repeated", field="by")
    return names


def period_window(group: dict[str, str | None], flt: Slice) -> tuple[date | None, date | None]:
    """[first local day, day after the last) of the group's period, else of --since/--until."""
    for dim in PERIOD_DIMENSIONS:
        label = group.get(dim)
        if label:
            return period_bounds(label)
    end = date.fromordinal(flt.until.toordinal() + 1) if flt.until else None
    return flt.since, end


def brands_in_scope(session: Session, flt: Slice) -> list[Brand]:
    """The filter's brand (NotFoundError if unknown), or every brand."""
    if flt.brand is not None:
        return [customers.get_brand(session, flt.brand)]
    return customers.list_brands(session)


def dimension_column(name: str) -> Key:
    columns: dict[str, Key] = {
        "brand": Brand.code,
        "channel": Feedback.channel,
        "touchpoint": Feedback.touchpoint,
        "product": Feedback.product,
        "region": func.coalesce(Feedback.region, Customer.region),
        "segment": Customer.segment,
        "tier": Customer.tier,
        "trust_type": CustomerSegment.trust_type,
        "value_tier": CustomerSegment.value_tier,
    }
    return columns[name]


@dataclass
class _Plan:
    keys: list[Key]
    to_group: Callable[[Sequence[Any]], GroupKey]
    where: list[ColumnElement[bool]]


def _plan(session: Session, by: Sequence[str], flt: Slice, brands: Sequence[Brand]) -> _Plan:
    dialect = session.get_bind().dialect.name
    keys: list[Key] = [dimension_column(d) for d in by if d not in PERIOD_DIMENSIONS]
    plain = len(keys)
    zones = {b.id: b.timezone for b in brands}
    day_of: Callable[[Sequence[Any]], date] | None = None
    label_of: Callable[[Sequence[Any]], str] | None = None
    periods = [d for d in by if d in PERIOD_DIMENSIONS]
    if periods:
        offsets = {b.id: fixed_offset_minutes(b.timezone) for b in brands}
        if dialect == "postgresql":
            # date_trunc of the local time is the group key and Python labels one row per
            # group: formatting a label in SQL (to_char per row) took 40 % of a 1M-row query
            local = func.timezone(Brand.timezone, Feedback.occurred_at)
            keys.append(func.date_trunc(periods[0] if len(periods) == 1 else "day", local))
            day_of = lambda row: row[plain].date()  # noqa: E731
        elif all(o is not None for o in offsets.values()):
            shift = case(
                *[
                    (Feedback.brand_id == bid, literal(f"{o:+d} minutes"))
                    for bid, o in offsets.items()
                ],
                else_=literal("+0 minutes"),
            )
            day_key = func.date(Feedback.occurred_at, shift)
            label = _label_in_sql(day_key, periods[0])
            if label is not None and len(periods) == 1:
                # one coarse period: label it in SQL so the database returns one row per period
                keys.append(label)
                label_of = lambda row: str(row[plain])  # noqa: E731
            else:
                keys.append(day_key)
                day_of = lambda row: date.fromisoformat(str(row[plain]))  # noqa: E731
        else:
            minute = cast(func.strftime("%M", Feedback.occurred_at), Integer) / 15 * 15
            hour = func.strftime("%Y-%m-%d %H:", Feedback.occurred_at)
            bucket = func.printf("%s%02d", hour, minute)
            keys += [bucket, Feedback.brand_id]
            day_of = lambda row: local_date_of_bucket(  # noqa: E731
                str(row[plain]), zones[int(str(row[plain + 1]))]
            )

    def to_group(row: Sequence[Any]) -> GroupKey:
        values = iter(row[:plain])
        day = day_of(row) if day_of is not None else None
        out: list[str | None] = []
        for d in by:
            if label_of is not None and d in PERIOD_DIMENSIONS:
                out.append(label_of(row))
            elif d in PERIOD_DIMENSIONS:
                assert day is not None  # noqa: S101 -- set whenever a period is asked for
                out.append(period_label(day, d))
            else:
                value = next(values)
                out.append(None if value is None else str(value))
        return tuple(out)

    return _Plan(keys, to_group, filter_clauses(flt, brands))


def _label_in_sql(day: ColumnElement[Any], period: str) -> ColumnElement[Any] | None:
    """The period label (same as periods.period_label) of a 'YYYY-MM-DD' SQL expression, for
    month and quarter; None for day and ISO week (labelled in Python)."""
    text = type_coerce(day, String)
    if period == "month":
        return type_coerce(func.substr(text, 1, 7), String)
    if period == "quarter":
        number = (cast(func.substr(text, 6, 2), Integer) + 2) // 3
        year = type_coerce(func.substr(text, 1, 4), String)
        return year.concat("Q").concat(cast(number, String))
    return None


def filter_clauses(flt: Slice, brands: Sequence[Brand]) -> list[ColumnElement[bool]]:
    """WHERE clauses on Feedback for a slice; since/until cut in each brand's time zone."""
    where: list[ColumnElement[bool]] = [Feedback.brand_id.in_([b.id for b in brands])]
    if flt.channel is not None:
        where.append(Feedback.channel == flt.channel)
    for column, allowed in flt.where.items():
        if column == "segment":  # the statement joins customers (_from, drivers, ...)
            where.append(Customer.segment.in_(list(allowed)))
            continue
        if column not in FEEDBACK_FILTERS:
            raise InvalidInputError(f"cannot filter on {column!r}", field="filter")
        where.append(getattr(Feedback, column).in_(list(allowed)))
    if flt.since is not None or flt.until is not None:
        ranges = []
        for b in brands:
            start, end = utc_range(flt.since, flt.until, b.timezone)
            clause = [Feedback.brand_id == b.id]
            if start is not None:
                clause.append(Feedback.occurred_at >= start)
            if end is not None:
                clause.append(Feedback.occurred_at < end)
            ranges.append(and_(*clause))
        where.append(or_(*ranges) if ranges else literal(False))
    return where


def _from(stmt: Select[Any], metrics: Sequence[str], by: Sequence[str] = ()) -> Select[Any]:
    stmt = (
        stmt.select_from(Feedback)
        .join(Score, Score.feedback_id == Feedback.id)
        .join(Brand, Brand.id == Feedback.brand_id)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .where(Score.metric.in_(list(metrics)))
    )
    if any(d in SEGMENT_DIMENSIONS for d in by):
        stmt = stmt.outerjoin(CustomerSegment, CustomerSegment.customer_id == Feedback.customer_id)
    return stmt


def score_parts(
    session: Session,
    metric: str,
    aggregates: Mapping[str, ColumnElement[Any]],
    *,
    by: Sequence[str],
    flt: Slice,
) -> dict[GroupKey, dict[str, float]]:
    """{group: {part: total}} for one score metric; `aggregates` are SQL expressions over
    Score.value (e.g. SUM(CASE WHEN value >= 9 THEN 1 ELSE 0 END)), the first being the count."""
    brands = brands_in_scope(session, flt)
    if not brands:
        return {}
    plan = _plan(session, by, flt, brands)
    names = list(aggregates)
    stmt = _from(select(*plan.keys, *aggregates.values()), [metric], by).where(*plan.where)
    if plan.keys:
        stmt = stmt.group_by(*plan.keys)
    out: dict[GroupKey, dict[str, float]] = defaultdict(lambda: dict.fromkeys(names, 0.0))
    for row in session.execute(stmt):
        values = row[len(plan.keys) :]
        if not values[0]:  # "n" first: a query without GROUP BY returns one row even when empty
            continue
        totals = out[plan.to_group(row)]
        for name, value in zip(names, values, strict=True):
            totals[name] += float(value or 0)
    return dict(out)


@dataclass
class ItemTotals:
    """Per-customer totals of several score metrics in one group (customers x items)."""

    customers: list[int]  # cluster ids: customer id, or -feedback id for anonymous feedback
    sums: FloatArray
    counts: FloatArray


def customer_item_totals(
    session: Session, metrics: Sequence[str], *, by: Sequence[str], flt: Slice
) -> dict[GroupKey, ItemTotals]:
    """{group: per-customer sums and counts of each metric}, aggregated in SQL.

    One row per (group, customer) comes back, the metrics pivoted into columns (a sum and a
    count each). Customers are in ascending cluster id within a group. Feedback without a
    customer counts as its own customer (its own bootstrap cluster).
    """
    brands = brands_in_scope(session, flt)
    if not brands or not metrics:
        return {}
    store = _columns(session)
    if store is not None:
        return store.item_totals(metrics, by=by, flt=flt, brands=brands)
    plan = _plan(session, by, flt, brands)
    cluster = case((Feedback.customer_id.is_(None), -Feedback.id), else_=Feedback.customer_id)
    sums = [func.sum(case((Score.metric == m, Score.value))) for m in metrics]
    counts = [func.count(case((Score.metric == m, 1))) for m in metrics]
    keys = [*plan.keys, cluster]
    stmt = _from(select(*keys, *sums, *counts), metrics, by).where(*plan.where).group_by(*keys)
    return _item_totals(session, stmt, plan, len(metrics))


def customer_sentiment_totals(
    session: Session, dimensions: Sequence[str], *, by: Sequence[str], flt: Slice
) -> dict[GroupKey, ItemTotals]:
    """{group: per-customer positive aspect mentions (sums) and all mentions (counts) of each
    trust dimension}, from feedback_analysis.aspects unnested in SQL.

    A mention is one aspect tagged in one text (text/aspects.py); its sentiment is the sentiment
    of its clause. PostgreSQL unnests with jsonb_array_elements, SQLite with json_each.
    """
    brands = brands_in_scope(session, flt)
    if not brands or not dimensions:
        return {}
    store = _columns(session)
    if store is not None:
        return store.sentiment_totals(dimensions, by=by, flt=flt, brands=brands)
    plan = _plan(session, by, flt, brands)
    dimension: ColumnElement[Any]
    label: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        mentions = func.jsonb_array_elements(FeedbackAnalysis.aspects).table_valued("value")
        dimension = mentions.c.value.op("->>")("dimension")
        label = mentions.c.value.op("->>")("sentiment_label")
    else:
        mentions = func.json_each(FeedbackAnalysis.aspects).table_valued("value")
        dimension = func.json_extract(mentions.c.value, "$.dimension")
        label = func.json_extract(mentions.c.value, "$.sentiment_label")
    cluster = case((Feedback.customer_id.is_(None), -Feedback.id), else_=Feedback.customer_id)
    positive = [
        func.count(case((and_(dimension == d, label == POSITIVE_LABEL), 1))) for d in dimensions
    ]
    counts = [func.count(case((dimension == d, 1))) for d in dimensions]
    keys = [*plan.keys, cluster]
    stmt = (
        select(*keys, *positive, *counts)
        .select_from(Feedback)
        .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
        .join(Brand, Brand.id == Feedback.brand_id)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .join(mentions, true())  # a set-returning function of the row: implicitly lateral
        .where(*plan.where, dimension.in_(list(dimensions)))
        .group_by(*keys)
    )
    if any(d in SEGMENT_DIMENSIONS for d in by):
        stmt = stmt.outerjoin(CustomerSegment, CustomerSegment.customer_id == Feedback.customer_id)
    return _item_totals(session, stmt, plan, len(dimensions))


def _columns(session: Session) -> ColumnSet | None:
    """The columnar copy of the scores (metrics/columns.py) when one is built for this data."""
    from trustpulse.metrics import columns  # noqa: PLC0415 -- it builds on this module

    return columns.current(session)


def _item_totals(
    session: Session, stmt: Select[Any], plan: _Plan, items: int
) -> dict[GroupKey, ItemTotals]:
    """Rows (group keys, cluster, item sums, item counts) -> ItemTotals per Python group."""
    width = len(plan.keys)
    rows: dict[GroupKey, list[Sequence[Any]]] = defaultdict(list)
    for row in session.execute(stmt):
        rows[plan.to_group(row)].append(row[width:])
    out: dict[GroupKey, ItemTotals] = {}
    for group, part in rows.items():
        matrix = np.array(part, dtype=np.float64)  # None (no value of a metric) -> NaN
        matrix = np.nan_to_num(matrix[np.argsort(matrix[:, 0], kind="stable")], nan=0.0)
        # several SQL groups can fall into one Python group (SQLite zones with daylight saving)
        ids, first = np.unique(matrix[:, 0], return_index=True)
        if len(ids) != len(matrix):
            matrix = np.column_stack([ids, np.add.reduceat(matrix[:, 1:], first, axis=0)])
        out[group] = ItemTotals(
            [int(c) for c in matrix[:, 0]], matrix[:, 1 : 1 + items], matrix[:, 1 + items :]
        )
    return out

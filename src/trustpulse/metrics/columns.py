"""A columnar copy of every feedback's scores and aspect mentions, for slices the rollups cannot
answer.

The trust index (per-customer totals for its clustered bootstrap), key drivers (one row per
response) and any slice with a segment, an older month or a channel within a month need raw
rows. In SQL that is an index walk over every score of the slice: 0.4-5 s at a million
responses. Here the same rows are numpy arrays (one row per feedback, one column per metric), so
any slice is a few boolean masks and one grouped sum: milliseconds.

- Built by `build` (the `web.prepare` job calls `refresh` first, so its own results use it) and
  saved under `<home>/columns/` as .npy files that every process maps read-only (`np.load`
  with mmap: the page cache holds one copy for all workers).
- Valid for the `Stamp` it was built at: highest feedback id, latest feedback.updated_at, text
  analysis time, segment build time. Feedback added or changed since (and texts re-analysed)
  is read from SQL as a delta of at most `DELTA_LIMIT` rows and merged, so a read never misses
  data the SQL path would see. A segment rebuild, or a larger delta, sends queries back to SQL
  until the next build.
- Answers exactly what metrics/query.py answers (same groups, same clusters in the same order,
  sums of the same values): tests/metrics/test_columns.py compares the two on the demo.
  Like the result cache, it does not see a customer's segment, tier or region edited in place
  until the next build.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, ColumnElement, Select, case, cast, func, or_, select
from sqlalchemy.orm import Session

from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.periods import PERIOD_DIMENSIONS, period_label
from trustpulse.metrics.query import (
    GROUP_DIMENSIONS,
    POSITIVE_LABEL,
    SLICE_FILTERS,
    GroupKey,
    ItemTotals,
    Slice,
    dimension_column,
)
from trustpulse.metrics.rollup_models import CustomerSegment
from trustpulse.text.models import FeedbackAnalysis

logger = logging.getLogger(__name__)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DELTA_LIMIT = 50_000  # rows changed since the build that are merged; more: SQL until rebuilt
CHUNK = 100_000  # rows fetched at a time while building
# the grouping and filter dimensions held as codes into a vocabulary (-1 = NULL): every
# --by dimension but brand and periods (held as ids and days), and the feedback kind (a filter)
CODED = (*(d for d in GROUP_DIMENSIONS if d != "brand" and d not in PERIOD_DIMENSIONS), "kind")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Stamp:
    """The state of the data the columns hold."""

    max_feedback_id: int
    feedback_count: int  # with the highest id: a deleted row shows as a count that falls short
    feedback_updated: datetime | None
    analysed: datetime | None
    segments_built: datetime | None

    def same_data(self, other: Stamp) -> bool:
        """Equal but for the row count, which a cheap read does not hold (`read_stamp`)."""
        return (
            self.max_feedback_id,
            self.feedback_updated,
            self.analysed,
            self.segments_built,
        ) == (
            other.max_feedback_id,
            other.feedback_updated,
            other.analysed,
            other.segments_built,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            f.name: (v.isoformat() if isinstance(v, datetime) else v)
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stamp:
        def moment(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return cls(
            int(data["max_feedback_id"]),
            int(data["feedback_count"]),
            moment(data["feedback_updated"]),
            moment(data["analysed"]),
            moment(data["segments_built"]),
        )


def read_stamp(session: Session, *, count: bool = False) -> Stamp:
    """Max of indexed columns, one round trip; with `count` also the number of feedback rows
    (an index-only scan, ~100 ms at a million rows on PostgreSQL: read only when something
    changed, to see a deletion among the changes), else -1."""
    columns = (Feedback.id, Feedback.updated_at, FeedbackAnalysis.analysed_at)
    maxima = [select(func.max(c)).scalar_subquery() for c in columns]
    maxima.append(select(func.max(CustomerSegment.built_at)).scalar_subquery())
    if count:
        maxima.append(select(func.count(Feedback.id)).scalar_subquery())
    row = session.execute(select(*maxima)).one()
    max_id, updated, analysed, built = row[:4]
    rows = int(row[4] or 0) if count else -1
    return Stamp(int(max_id or 0), rows, updated, analysed, built)


@dataclass
class ScoreColumns:
    """One row per feedback (ascending id): its attributes, scores and aspect mentions."""

    stamp: Stamp
    feedback_id: IntArray
    brand_id: IntArray
    day: IntArray  # local date (brand's zone) as a proleptic ordinal
    cluster: IntArray  # customer id, or -feedback id for anonymous feedback (query.py's rule)
    codes: dict[str, IntArray]  # CODED dimension -> code into vocab[dimension], -1 = NULL
    vocab: dict[str, list[str]]
    metrics: list[str]
    values: FloatArray  # rows x metrics, NaN = not scored
    dimensions: list[str]  # trust dimensions with aspect mentions
    positive: IntArray  # rows x dimensions: positive mentions
    mentions: IntArray  # rows x dimensions: all mentions

    def __len__(self) -> int:
        return len(self.feedback_id)

    # -- what the queries ask -----------------------------------------------------------

    def rows(self, flt: Slice, brands: Sequence[Brand]) -> BoolArray:
        """query.filter_clauses as a mask (local dates are already the brand's)."""
        mask = np.isin(self.brand_id, [b.id for b in brands])
        if flt.channel is not None:
            mask &= self._is_in("channel", [flt.channel])
        for column, allowed in flt.where.items():
            if column not in SLICE_FILTERS:
                raise InvalidInputError(f"cannot filter on {column!r}", field="filter")
            mask &= self._is_in(column, [str(a) for a in allowed])
        if flt.since is not None:
            mask &= self.day >= flt.since.toordinal()
        if flt.until is not None:
            mask &= self.day <= flt.until.toordinal()
        return mask

    def _is_in(self, column: str, allowed: Sequence[str]) -> BoolArray:
        words = self.vocab[column]
        wanted = [words.index(a) for a in allowed if a in words]
        return np.isin(self.codes[column], wanted)

    def table(self, names: Sequence[str], rows: IntArray, *, mentions: bool = False) -> FloatArray:
        """Scores (or, with `mentions`, positive then all aspect mentions) of `names` on `rows`;
        NaN (mentions: 0) where this build has no such metric or dimension."""
        if not mentions:
            out = np.full((len(rows), len(names)), np.nan)
            for j, name in enumerate(names):
                if name in self.metrics:
                    out[:, j] = self.values[rows, self.metrics.index(name)]
            return out
        out = np.zeros((len(rows), 2 * len(names)))
        for j, name in enumerate(names):
            if name in self.dimensions:
                i = self.dimensions.index(name)
                out[:, j] = self.positive[rows, i]
                out[:, len(names) + j] = self.mentions[rows, i]
        return out

    # one build answers as a set of one (the same code path as a build with changes merged)
    def item_totals(
        self, metrics: Sequence[str], *, by: Sequence[str], flt: Slice, brands: Sequence[Brand]
    ) -> dict[GroupKey, ItemTotals]:
        return ColumnSet(self.stamp, [(self, None)]).item_totals(
            metrics, by=by, flt=flt, brands=brands
        )

    def sentiment_totals(
        self, dimensions: Sequence[str], *, by: Sequence[str], flt: Slice, brands: Sequence[Brand]
    ) -> dict[GroupKey, ItemTotals]:
        return ColumnSet(self.stamp, [(self, None)]).sentiment_totals(
            dimensions, by=by, flt=flt, brands=brands
        )

    def response_matrix(
        self, target: str, predictors: Sequence[str], *, flt: Slice, brands: Sequence[Brand]
    ) -> FloatArray:
        return ColumnSet(self.stamp, [(self, None)]).response_matrix(
            target, predictors, flt=flt, brands=brands
        )


@dataclass
class _Picked:
    """The rows of a slice gathered from every part, in ascending feedback id."""

    feedback_id: IntArray
    brand_id: IntArray
    day: IntArray
    cluster: IntArray
    codes: dict[str, IntArray]
    table: FloatArray


@dataclass
class ColumnSet:
    """A build, less the rows changed since, plus those rows read again (the delta): what
    `current` returns. Parts share codes (the delta's vocabulary extends the build's), so the
    rows of a slice are gathered from each part and grouped together: no copy of the build."""

    stamp: Stamp
    parts: list[tuple[ScoreColumns, BoolArray | None]]  # (columns, rows still current)

    @property
    def vocab(self) -> dict[str, list[str]]:
        return self.parts[-1][0].vocab

    def _pick(
        self,
        flt: Slice,
        brands: Sequence[Brand],
        by: Sequence[str],
        table: Callable[[ScoreColumns, IntArray], FloatArray],
    ) -> _Picked:
        pieces = []
        for columns, current in self.parts:
            mask = columns.rows(flt, brands)
            if current is not None:
                mask &= current
            rows = np.flatnonzero(mask)
            pieces.append(
                _Picked(
                    columns.feedback_id[rows],
                    columns.brand_id[rows],
                    columns.day[rows],
                    columns.cluster[rows],
                    {d: columns.codes[d][rows] for d in by if d in CODED},
                    table(columns, rows),
                )
            )
        if len(pieces) == 1:
            return pieces[0]
        feedback_id = np.concatenate([p.feedback_id for p in pieces])
        order = np.argsort(feedback_id, kind="stable")

        def joined(arrays: list[npt.NDArray[Any]]) -> Any:
            return np.concatenate(arrays)[order]

        return _Picked(
            feedback_id[order],
            joined([p.brand_id for p in pieces]),
            joined([p.day for p in pieces]),
            joined([p.cluster for p in pieces]),
            {d: joined([p.codes[d] for p in pieces]) for d in pieces[0].codes},
            joined([p.table for p in pieces]),
        )

    def item_totals(
        self, metrics: Sequence[str], *, by: Sequence[str], flt: Slice, brands: Sequence[Brand]
    ) -> dict[GroupKey, ItemTotals]:
        """query.customer_item_totals from the columns."""
        picked = self._pick(flt, brands, by, lambda c, rows: c.table(metrics, rows))
        scored = ~np.isnan(picked.table)
        keep = np.asarray(scored.any(axis=1), dtype=bool)
        return self._per_customer(
            _subset(picked, keep),
            np.nan_to_num(picked.table[keep], nan=0.0),
            scored[keep].astype(np.float64),
            by=by,
            brands=brands,
        )

    def sentiment_totals(
        self, dimensions: Sequence[str], *, by: Sequence[str], flt: Slice, brands: Sequence[Brand]
    ) -> dict[GroupKey, ItemTotals]:
        """query.customer_sentiment_totals from the columns."""
        picked = self._pick(
            flt, brands, by, lambda c, rows: c.table(dimensions, rows, mentions=True)
        )
        d = len(dimensions)
        positive, mentions = picked.table[:, :d], picked.table[:, d:]
        keep = np.asarray((mentions > 0).any(axis=1), dtype=bool)
        return self._per_customer(
            _subset(picked, keep), positive[keep], mentions[keep], by=by, brands=brands
        )

    def response_matrix(
        self, target: str, predictors: Sequence[str], *, flt: Slice, brands: Sequence[Brand]
    ) -> FloatArray:
        """drivers.key_drivers' rows: one per feedback that scored `target` (ascending id),
        columns target then predictors, NaN where not rated."""
        wanted = [target, *predictors]
        picked = self._pick(flt, brands, (), lambda c, rows: c.table(wanted, rows))
        rated: FloatArray = picked.table[~np.isnan(picked.table[:, 0])]
        return rated

    def _groups(
        self, by: Sequence[str], picked: _Picked, brands: Sequence[Brand]
    ) -> tuple[IntArray, list[GroupKey]]:
        """(group index of each picked row, the group keys) for the `by` dimensions."""
        if not by:
            return np.zeros(len(picked.cluster), dtype=np.int64), [()]
        code_of = {b.id: b.code for b in brands}
        parts: list[IntArray] = []
        labels: list[list[str | None]] = []
        for dim in by:
            if dim in PERIOD_DIMENSIONS:
                days, inverse = np.unique(picked.day, return_inverse=True)
                names = [period_label(date.fromordinal(int(d)), dim) for d in days]
                uniq = sorted(set(names))
                position = {n: i for i, n in enumerate(uniq)}
                parts.append(
                    np.array([position[n] for n in names], dtype=np.int64)[inverse.reshape(-1)]
                )
                labels.append(list(uniq))
            elif dim == "brand":
                ids, inverse = np.unique(picked.brand_id, return_inverse=True)
                parts.append(inverse.reshape(-1).astype(np.int64))
                labels.append([code_of.get(int(i)) for i in ids])
            else:
                parts.append(picked.codes[dim] + 1)  # 0 = NULL
                labels.append([None, *self.vocab[dim]])
        # one integer per row in mixed radix (np.unique over rows of a 2-D array sorts a
        # structured copy: 10x slower)
        combined = np.zeros(len(picked.cluster), dtype=np.int64)
        for part, choices in zip(parts, labels, strict=True):
            combined = combined * len(choices) + part
        keys, inverse = np.unique(combined, return_inverse=True)
        groups: list[GroupKey] = []
        for key in keys.tolist():
            rest, digits = int(key), list[str | None]()
            for choices in reversed(labels):
                rest, digit = divmod(rest, len(choices))
                digits.append(choices[digit])
            groups.append(tuple(reversed(digits)))
        return inverse.reshape(-1).astype(np.int64), groups

    def _per_customer(
        self,
        picked: _Picked,
        sums: FloatArray,
        counts: FloatArray,
        *,
        by: Sequence[str],
        brands: Sequence[Brand],
    ) -> dict[GroupKey, ItemTotals]:
        """Sums and counts added up per (group, customer), customers ascending in a group."""
        if not len(picked.cluster):
            return {}
        group, keys = self._groups(by, picked, brands)
        cluster = picked.cluster
        order = np.lexsort((cluster, group))
        group, cluster = group[order], cluster[order]
        sums, counts = sums[order], counts[order]
        starts = np.flatnonzero(
            np.concatenate(([True], (group[1:] != group[:-1]) | (cluster[1:] != cluster[:-1])))
        )
        group_sums = np.add.reduceat(sums, starts, axis=0)
        group_counts = np.add.reduceat(counts, starts, axis=0)
        of_group, customers = group[starts], cluster[starts]
        bounds = np.flatnonzero(np.concatenate(([True], of_group[1:] != of_group[:-1])))
        bounds = np.append(bounds, len(of_group))
        out: dict[GroupKey, ItemTotals] = {}
        for lo, hi in itertools.pairwise(bounds):
            out[keys[int(of_group[lo])]] = ItemTotals(
                [int(c) for c in customers[lo:hi]], group_sums[lo:hi], group_counts[lo:hi]
            )
        return out


def _subset(picked: _Picked, keep: BoolArray) -> _Picked:
    return _Picked(
        picked.feedback_id[keep],
        picked.brand_id[keep],
        picked.day[keep],
        picked.cluster[keep],
        {d: c[keep] for d, c in picked.codes.items()},
        picked.table[keep],
    )


# -- building ------------------------------------------------------------------------------


def _coded_column(dimension: str) -> Any:
    """query.py's column of a dimension (the feedback kind is a filter only)."""
    return Feedback.kind if dimension == "kind" else dimension_column(dimension)


def _epoch_seconds(dialect: str) -> ColumnElement[Any]:
    """Feedback.occurred_at as whole seconds since 1970 UTC, computed by the database (a
    datetime object per row costs more than the rest of the row)."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", Feedback.occurred_at)), BigInteger)
    return cast(func.strftime("%s", Feedback.occurred_at), BigInteger)  # stored naive UTC


def _feedback_rows(changed: Select[Any] | None, max_id: int, dialect: str) -> Select[Any]:
    wanted: list[Any] = [
        Feedback.id,
        Feedback.brand_id,
        _epoch_seconds(dialect),
        Feedback.customer_id,
        *(_coded_column(d) for d in CODED),
    ]
    stmt = (
        select(*wanted)
        .outerjoin(Customer, Customer.id == Feedback.customer_id)
        .outerjoin(CustomerSegment, CustomerSegment.customer_id == Feedback.customer_id)
        .order_by(Feedback.id)
    )
    if changed is not None:
        return stmt.where(Feedback.id.in_(changed))
    return stmt.where(Feedback.id <= max_id)


def _local_days(seconds: IntArray, brand_ids: IntArray, zones: dict[int, str]) -> IntArray:
    """Local date ordinals of UTC epoch seconds, each in its brand's zone (exact, zoneinfo)."""
    out = np.empty(len(seconds), dtype=np.int64)
    for brand_id, zone in zones.items():
        mine = brand_ids == brand_id
        if not mine.any():
            continue
        at = seconds[mine]
        out[mine] = _EPOCH_ORDINAL + (at + _offsets(at, ZoneInfo(zone))) // 86_400
    return out


def _offsets(seconds: IntArray, zone: ZoneInfo) -> IntArray:
    """The zone's UTC offset in seconds at each moment, looked up once per UTC quarter-hour
    (offsets change only on quarter-hour boundaries)."""
    buckets, inverse = np.unique(seconds // 900, return_inverse=True)
    offset = np.array(
        [
            int(datetime.fromtimestamp(int(b) * 900, tz=zone).utcoffset().total_seconds())  # type: ignore[union-attr]
            for b in buckets
        ],
        dtype=np.int64,
    )
    return offset[inverse.reshape(-1)]


class _Vocabulary:
    def __init__(self, words: dict[str, list[str]] | None = None) -> None:
        self.words = {d: list((words or {}).get(d, [])) for d in CODED}
        self.index = {d: {w: i for i, w in enumerate(ws)} for d, ws in self.words.items()}

    def codes(self, dim: str, values: Iterable[object]) -> IntArray:
        index, words = self.index[dim], self.words[dim]
        out = []
        for value in values:
            if value is None:
                out.append(-1)
                continue
            text = value.value if hasattr(value, "value") else str(value)
            code = index.get(text)
            if code is None:
                code = index[text] = len(words)
                words.append(text)
            out.append(code)
        return np.array(out, dtype=np.int64)


def build(
    session: Session,
    *,
    changed: Select[Any] | None = None,
    stamp: Stamp | None = None,
    vocab: dict[str, list[str]] | None = None,
) -> ScoreColumns:
    """Read every feedback (or those whose ids `changed` selects) into columns."""
    stamp = stamp or read_stamp(session, count=True)
    zones = {b.id: b.timezone for b in session.scalars(select(Brand))}
    words = _Vocabulary(vocab)
    ids: list[IntArray] = []
    brands: list[IntArray] = []
    days: list[IntArray] = []
    clusters: list[IntArray] = []
    coded: dict[str, list[IntArray]] = {d: [] for d in CODED}
    dialect = session.get_bind().dialect.name
    result = session.connection().execute(
        _feedback_rows(changed, stamp.max_feedback_id, dialect).execution_options(yield_per=CHUNK)
    )
    for chunk in result.partitions():
        columns = list(zip(*chunk, strict=True))
        feedback_id = np.array(columns[0], dtype=np.int64)
        brand_id = np.array(columns[1], dtype=np.int64)
        customer = np.array([-1 if c is None else c for c in columns[3]], dtype=np.int64)
        ids.append(feedback_id)
        brands.append(brand_id)
        days.append(_local_days(np.array(columns[2], dtype=np.int64), brand_id, zones))
        clusters.append(np.where(customer < 0, -feedback_id, customer))
        for j, dim in enumerate(CODED):
            coded[dim].append(words.codes(dim, columns[4 + j]))
    feedback_id = _joined(ids)
    metric_names, values = _scores(session, feedback_id, changed, stamp.max_feedback_id)
    dimension_names, positive, mentions = _aspects(
        session, feedback_id, changed, stamp.max_feedback_id
    )
    return ScoreColumns(
        stamp=stamp,
        feedback_id=feedback_id,
        brand_id=_joined(brands),
        day=_joined(days),
        cluster=_joined(clusters),
        codes={d: _joined(coded[d]) for d in CODED},
        vocab=words.words,
        metrics=metric_names,
        values=values,
        dimensions=dimension_names,
        positive=positive,
        mentions=mentions,
    )


def _joined(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _scores(
    session: Session, feedback_id: IntArray, changed: Select[Any] | None, max_id: int
) -> tuple[list[str], FloatArray]:
    """The feedback x metric matrix. Metrics are coded in SQL and every value is a number, so
    each fetched chunk becomes one numpy array in C."""
    where: ColumnElement[bool] = (
        Score.feedback_id.in_(changed) if changed is not None else Score.feedback_id <= max_id
    )
    metrics = sorted(session.scalars(select(Score.metric).where(where).distinct()))
    code = case({m: i for i, m in enumerate(metrics)}, value=Score.metric)
    values = np.full((len(feedback_id), len(metrics)), np.nan)
    if not metrics:
        return metrics, values
    stmt = select(Score.feedback_id, code, Score.value).where(where)
    chunks: Iterable[Sequence[Any]]
    if changed is not None:  # a delta: few rows, its subquery has bound parameters
        chunks = [[tuple(r) for r in session.connection().execute(stmt)]]
    else:
        chunks = _raw_chunks(session, stmt)
    for chunk in chunks:
        if not chunk:
            continue
        part = np.array(chunk, dtype=np.float64)
        fid = part[:, 0].astype(np.int64)
        row, known = _positions(feedback_id, fid)
        values[row[known], part[known, 1].astype(np.int64)] = part[known, 2]
    return metrics, values


def _raw_chunks(session: Session, stmt: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of a statement with only literal integers and strings, fetched through the driver's
    own cursor: SQLAlchemy's Row objects cost 20x more than the numbers for 8.5M scores."""
    connection = session.connection()
    sql = str(stmt.compile(bind=connection, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK):
            yield rows
    finally:
        cursor.close()


def _positions(feedback_id: IntArray, wanted: IntArray) -> tuple[IntArray, BoolArray]:
    """Rows of `wanted` ids in the sorted `feedback_id`, and which were found (a score or an
    analysis of feedback that arrived after the feedback was read belongs to the next delta)."""
    row = np.searchsorted(feedback_id, wanted)
    inside = row < len(feedback_id)
    found = inside.copy()
    found[inside] = feedback_id[row[inside]] == wanted[inside]
    return row, found


def _aspects(
    session: Session, feedback_id: IntArray, changed: Select[Any] | None, max_id: int
) -> tuple[list[str], IntArray, IntArray]:
    """Per feedback and trust dimension: positive and all aspect mentions (text/aspects.py)."""
    where: ColumnElement[bool] = (
        FeedbackAnalysis.feedback_id.in_(changed)
        if changed is not None
        else FeedbackAnalysis.feedback_id <= max_id
    )
    dimensions: list[str] = []
    position: dict[str, int] = {}
    ids: list[int] = []
    dims: list[int] = []
    good: list[bool] = []
    result = session.connection().execute(
        select(FeedbackAnalysis.feedback_id, FeedbackAnalysis.aspects)
        .where(where)
        .execution_options(yield_per=CHUNK)
    )
    for fid, aspects in result:
        for mention in aspects or ():
            name = mention.get("dimension")
            if name is None:
                continue
            code = position.get(name)
            if code is None:
                code = position[name] = len(dimensions)
                dimensions.append(name)
            ids.append(fid)
            dims.append(code)
            good.append(mention.get("sentiment_label") == POSITIVE_LABEL)
    positive = np.zeros((len(feedback_id), len(dimensions)), dtype=np.int64)
    mentions = np.zeros((len(feedback_id), len(dimensions)), dtype=np.int64)
    if ids:
        row, known = _positions(feedback_id, np.array(ids, dtype=np.int64))
        row, col = row[known], np.array(dims, dtype=np.int64)[known]
        np.add.at(mentions, (row, col), 1)
        np.add.at(positive, (row, col), np.array(good, dtype=np.int64)[known])
    return dimensions, positive, mentions


# -- merging a delta ----------------------------------------------------------------------


def changed_since(stamp: Stamp) -> Select[Any]:
    """Ids of feedback added, changed or (re-)analysed after `stamp`."""
    moved: list[ColumnElement[bool]] = [Feedback.id > stamp.max_feedback_id]
    if stamp.feedback_updated is not None:
        moved.append(Feedback.updated_at > stamp.feedback_updated)
    analysed = select(FeedbackAnalysis.feedback_id.label("id"))
    if stamp.analysed is not None:
        analysed = analysed.where(FeedbackAnalysis.analysed_at > stamp.analysed)
    either = select(Feedback.id.label("id")).where(or_(*moved)).union(analysed).subquery()
    return select(either.c.id)


# -- on disk, shared by every process -----------------------------------------------------

_ARRAYS = ("feedback_id", "brand_id", "day", "cluster", "values", "positive", "mentions")
_LATEST = "latest.json"


def database_of(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def folder(home: Path, database: str) -> Path:
    """Where one database's columns live (several databases may share a home in tests)."""
    return home / "columns" / hashlib.sha256(database.encode()).hexdigest()[:16]


def save(columns: ScoreColumns, where: Path) -> Path:
    """Write the arrays and a meta file into a new folder, then point latest.json at it (a
    reader sees the old build or the new one, never half of one); older builds are removed."""
    where.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(json.dumps(columns.stamp.as_json()).encode()).hexdigest()[:16]
    target = where / name
    staging = where / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for array in _ARRAYS:
        np.save(staging / f"{array}.npy", getattr(columns, array))
    for dim in CODED:
        np.save(staging / f"code_{dim}.npy", columns.codes[dim])
    meta = {
        "stamp": columns.stamp.as_json(),
        "vocab": columns.vocab,
        "metrics": columns.metrics,
        "dimensions": columns.dimensions,
    }
    (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    latest = where / f".{_LATEST}.partial"
    latest.write_text(json.dumps({"build": name}))
    latest.replace(where / _LATEST)
    for old in where.iterdir():
        if old.is_dir() and old.name != name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


def load(where: Path) -> ScoreColumns | None:
    """The latest build in `where`, its arrays mapped read-only; None if there is none."""
    try:
        name = json.loads((where / _LATEST).read_text())["build"]
        build_dir = where / name
        meta = json.loads((build_dir / "meta.json").read_text())
        arrays = {a: np.load(build_dir / f"{a}.npy", mmap_mode="r") for a in _ARRAYS}
        codes = {d: np.load(build_dir / f"code_{d}.npy", mmap_mode="r") for d in CODED}
    except (OSError, ValueError, KeyError) as exc:  # none yet, or removed by a newer build
        logger.debug("no score columns in %s: %s", where, exc)
        return None
    return ScoreColumns(
        stamp=Stamp.from_json(meta["stamp"]),
        codes=codes,
        vocab=meta["vocab"],
        metrics=meta["metrics"],
        dimensions=meta["dimensions"],
        **arrays,
    )


# -- the process's view --------------------------------------------------------------------

_lock = threading.Lock()
_homes: dict[str, Path] = {}  # database -> home, remembered by refresh() and use_home()
_bases: dict[str, ScoreColumns] = {}  # database -> the build in use
_merged: dict[str, ColumnSet] = {}  # database -> that build with the latest delta


def use_home(database: str, home: Path) -> None:
    """Let this process find the columns `web.prepare` builds for `database` (app start-up)."""
    _homes[database] = home


def forget() -> None:
    """Drop what this process holds and where it looks (tests: each has its own data)."""
    with _lock:
        _bases.clear()
        _merged.clear()
        _homes.clear()


def refresh(session: Session, home: Path) -> ScoreColumns:
    """Build and save the columns unless the saved ones are for this data already."""
    database = database_of(session)
    _homes[database] = home
    stamp = read_stamp(session)
    where = folder(home, database)
    saved = load(where)
    if saved is not None and saved.stamp.same_data(stamp):
        columns = saved
    else:
        columns = build(session)  # reads the stamp again, with the row count
        save(columns, where)
        columns = load(where) or columns  # mapped from disk: one copy in the page cache
    with _lock:
        _bases[database] = columns
        _merged.pop(database, None)
    return columns


def current(session: Session) -> ColumnSet | None:
    """The columns for this session's data, with whatever changed since the build merged in;
    None when there is no build, a segment rebuild voided it, or too much changed."""
    database = database_of(session)
    home = _homes.get(database)
    base = _bases.get(database)
    if base is None and home is None:
        return None
    stamp = read_stamp(session)
    if base is not None and base.stamp.same_data(stamp):
        return ColumnSet(base.stamp, [(base, None)])
    with _lock:
        return _with_changes(session, database, home, base, stamp)


def _with_changes(
    session: Session, database: str, home: Path | None, base: ScoreColumns | None, stamp: Stamp
) -> ColumnSet | None:
    """(under _lock) The newest saved build, with the changes since merged in."""
    merged = _merged.get(database)
    if merged is not None and merged.stamp.same_data(stamp):
        return merged
    if home is not None:  # another process may have built newer columns
        saved = load(folder(home, database))
        if saved is not None and (base is None or saved.stamp != base.stamp):
            base = _bases[database] = saved
            _merged.pop(database, None)
    if base is None or base.stamp.segments_built != stamp.segments_built:
        return None
    if base.stamp.same_data(stamp):
        return ColumnSet(base.stamp, [(base, None)])
    stamp = read_stamp(session, count=True)
    changed = changed_since(base.stamp)
    count = session.scalar(select(func.count()).select_from(changed.subquery())) or 0
    if count > DELTA_LIMIT:
        return None
    delta = build(session, changed=changed, stamp=stamp, vocab=base.vocab)
    ids = delta.feedback_id
    added = int(((ids > base.stamp.max_feedback_id) & (ids <= stamp.max_feedback_id)).sum())
    if base.stamp.feedback_count + added != stamp.feedback_count:
        return None  # feedback was deleted since the build: only SQL knows which
    row, found = _positions(base.feedback_id, ids)
    still = np.ones(len(base), dtype=bool)
    still[row[found]] = False  # changed since the build: the delta holds them now
    merged = _merged[database] = ColumnSet(stamp, [(base, still), (delta, None)])
    return merged

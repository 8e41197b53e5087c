"""The trust index: configured dimensions, each a weighted mean of leaves normalised to 0-100.

Survey leaves come from per-customer score totals (SQL), sentiment leaves from per-customer
counts of positive and all aspect mentions of a trust dimension (SQL), KPI leaves from
kpi_measures, complaint leaves from the complaint KPIs (complaints/kpis.py) of the complaints
opened in the slice. The interval is a clustered bootstrap over customers: survey and sentiment
leaves are resampled with their customers; KPI and complaint leaves are held fixed (measured
over every case or unit, not sampled from the responding customers). Each dimension score gets
its interval from the same resamples (percentiles of the dimension over the draws that give the
index its interval).
Missing leaves follow `missing_leaf_policy`: `reweight` drops them and renormalises the weights
present; `incomplete` leaves the index empty (dimension scores still shown) and says which leaves
are missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.metrics.bootstrap import (
    FloatArray,
    cluster_bootstrap_draws,
    percentile_interval,
)
from trustpulse.metrics.complaint_leaves import complaint_points
from trustpulse.metrics.csi import renormalise
from trustpulse.metrics.estimate import Estimate, empty
from trustpulse.metrics.models import KpiMeasure
from trustpulse.metrics.periods import period_bounds
from trustpulse.metrics.query import (
    GroupKey,
    ItemTotals,
    Slice,
    brands_in_scope,
    customer_item_totals,
    customer_sentiment_totals,
    period_window,
)
from trustpulse.metrics.schemas import Leaf, MetricsConfig, TrustIndexConfig


def load_trust_config(settings: Settings, *, brand: str | None = None) -> TrustIndexConfig:
    return load_config("trust_index", TrustIndexConfig, settings=settings, brand=brand)


class IndexTree:
    """The configured tree flattened to arrays: leaf -> dimension, weights, anchors."""

    def __init__(self, config: TrustIndexConfig) -> None:
        self.config = config
        dim_weights, self.warnings = renormalise(
            [d.weight for d in config.dimensions], what="trust-index dimension"
        )
        self.dim_weights = np.asarray(dim_weights)
        self.leaves: list[Leaf] = []
        self.dim_of: list[int] = []
        for j, dim in enumerate(config.dimensions):
            for leaf in dim.leaves:
                self.leaves.append(leaf)
                self.dim_of.append(j)
        n_dims, n_leaves = len(config.dimensions), len(self.leaves)
        self.membership = np.zeros((n_leaves, n_dims))
        self.membership[np.arange(n_leaves), self.dim_of] = [leaf.weight for leaf in self.leaves]
        # resampled with customers: survey means and sentiment shares (x100: points)
        self.survey = [
            i for i, leaf in enumerate(self.leaves) if leaf.source in {"survey", "sentiment"}
        ]
        self.scale = np.array(
            [100.0 if self.leaves[i].source == "sentiment" else 1.0 for i in self.survey]
        )
        self.kpi = [i for i, leaf in enumerate(self.leaves) if leaf.source == "kpi"]
        self.complaints = [i for i, leaf in enumerate(self.leaves) if leaf.source == "complaints"]

    def points(self, leaf: Leaf, values: FloatArray) -> FloatArray:
        if leaf.normalise == "natural":
            return np.clip(values, 0.0, 100.0)
        bad, good = leaf.bad or 0.0, leaf.good or 0.0
        return np.clip(100.0 * (values - bad) / (good - bad), 0.0, 100.0)

    def scores(self, leaf_points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(r x leaves) points, NaN = missing -> (r x dims) dimension scores, r index values
        (missing leaves and dimensions reweighted)."""
        present = np.isfinite(leaf_points)
        filled = np.where(present, leaf_points, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            dims = (filled @ self.membership) / (present @ self.membership)
        dim_present = np.isfinite(dims)
        used = np.where(dim_present, self.dim_weights, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            index = (np.where(dim_present, dims, 0.0) * used).sum(axis=-1) / used.sum(axis=-1)
        return dims, index


def compute(
    session: Session,
    *,
    settings: Settings,
    metrics_config: MetricsConfig,
    by: Sequence[str],
    flt: Slice,
) -> dict[GroupKey, Estimate]:
    """Trust index per slice (points 0-100) with its clustered-bootstrap 95 % interval."""
    tree = IndexTree(load_trust_config(settings, brand=flt.brand))
    survey = _survey_totals(session, tree, by, flt)
    kpis = _kpi_points(session, tree, by, flt, list(survey))
    facts = complaint_points(
        session, leaves=tree.leaves, positions=tree.complaints, by=by, flt=flt, groups=list(survey)
    )
    out: dict[GroupKey, Estimate] = {}
    for key, (sums, counts) in survey.items():
        out[key] = estimate(tree, sums, counts, (kpis[key], facts[key]), metrics_config)
    return out


def _survey_totals(
    session: Session, tree: IndexTree, by: Sequence[str], flt: Slice
) -> dict[GroupKey, tuple[FloatArray, FloatArray]]:
    """{group: (customers x survey leaves) sums and counts}: one SQL query per distinct filter,
    customers in ascending cluster id."""
    by_filter: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], list[int]]
    by_filter = defaultdict(list)
    for position, i in enumerate(tree.survey):
        leaf = tree.leaves[i]
        where = tuple(sorted((k, tuple(v)) for k, v in leaf.filter.items()))
        by_filter[leaf.source, where].append(position)
    width = len(tree.survey)
    parts: dict[GroupKey, list[tuple[ItemTotals, list[int], list[int]]]] = defaultdict(list)
    for (source, filter_key), positions in by_filter.items():
        metrics = sorted({tree.leaves[tree.survey[p]].metric for p in positions})
        # the leaf's own filter within the slice's: both apply (a column in both: the values
        # in both); the leaf's used to replace the slice's, dropping e.g. its segment
        scope = {k: list(v) for k, v in flt.where.items()}
        for column, allowed in filter_key:
            scope[column] = [a for a in allowed if column not in scope or a in scope[column]]
        scoped = replace(flt, where=scope)
        columns = [metrics.index(tree.leaves[tree.survey[p]].metric) for p in positions]
        totals_of = customer_sentiment_totals if source == "sentiment" else customer_item_totals
        for group, totals in totals_of(session, metrics, by=by, flt=scoped).items():
            parts[group].append((totals, positions, columns))
    out = {}
    for group, pieces in parts.items():
        customers = np.unique(np.concatenate([np.asarray(t.customers) for t, _p, _c in pieces]))
        sums, counts = np.zeros((len(customers), width)), np.zeros((len(customers), width))
        for totals, positions, columns in pieces:
            rows = np.searchsorted(customers, np.asarray(totals.customers))
            for p, j in zip(positions, columns, strict=True):
                sums[rows, p] += totals.sums[:, j]
                counts[rows, p] += totals.counts[:, j]
        out[group] = (sums, counts)
    return out


def _kpi_points(
    session: Session, tree: IndexTree, by: Sequence[str], flt: Slice, groups: Sequence[GroupKey]
) -> dict[GroupKey, FloatArray]:
    """{group: points of each KPI leaf, NaN where no measure covers the slice}.

    A KPI applies to the group's brand (or every brand in scope, averaged), to the group's
    product when measured per product (scope product:CODE, else the brand's `all`), and to the
    measures whose period overlaps the group's period (or --since/--until; else all periods).
    Other dimensions (channel, region, segment ...) see their brand's value.
    """
    brands = {b.code: b.id for b in brands_in_scope(session, flt)}
    metrics = sorted({tree.leaves[i].metric for i in tree.kpi})
    rows = (
        session.execute(
            select(
                KpiMeasure.brand_id,
                KpiMeasure.metric,
                KpiMeasure.scope,
                KpiMeasure.period,
                KpiMeasure.value,
            ).where(KpiMeasure.brand_id.in_(list(brands.values())), KpiMeasure.metric.in_(metrics))
        ).all()
        if metrics and brands
        else []
    )
    spans = {period: period_bounds(period) for period in {r.period for r in rows}}
    out: dict[GroupKey, FloatArray] = {}
    for key in groups:
        group = dict(zip(by, key, strict=True))
        code = group.get("brand")
        brand_ids = {brands[code]} if code in brands else set(brands.values())
        window = period_window(group, flt)
        points = np.full(len(tree.kpi), np.nan)
        for position, i in enumerate(tree.kpi):
            leaf = tree.leaves[i]
            candidates = [
                r
                for r in rows
                if r.metric == leaf.metric
                and r.brand_id in brand_ids
                and _overlaps(spans[r.period], window)
            ]
            product_scope = f"product:{group['product']}" if group.get("product") else None
            chosen = [r for r in candidates if r.scope == product_scope] or [
                r for r in candidates if r.scope == "all"
            ]
            if chosen:
                mean = np.array([float(np.mean([r.value for r in chosen]))])
                points[position] = tree.points(leaf, mean)[0]
        out[key] = points
    return out


def _overlaps(span: tuple[date, date], window: tuple[date | None, date | None]) -> bool:
    start, end = window
    return (end is None or span[0] < end) and (start is None or span[1] > start)


def estimate(
    tree: IndexTree,
    sums: FloatArray,
    counts: FloatArray,
    fixed: tuple[FloatArray, FloatArray],
    config: MetricsConfig,
) -> Estimate:
    """The index of one slice from its customers' survey/sentiment totals (customers x resampled
    leaves) and the fixed KPI and complaint leaf points, with 95 % intervals for the index and
    for every dimension (`dimension_intervals`) from one clustered bootstrap."""
    names = [leaf.name for leaf in tree.leaves]
    survey_leaves = [tree.leaves[i] for i in tree.survey]

    def leaf_points(s: FloatArray, c: FloatArray) -> FloatArray:
        r = s.shape[0]
        points = np.full((r, len(tree.leaves)), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = s / c * tree.scale
        for position, (i, leaf) in enumerate(zip(tree.survey, survey_leaves, strict=True)):
            points[:, i] = tree.points(leaf, means[:, position])
        points[:, tree.kpi] = fixed[0]
        points[:, tree.complaints] = fixed[1]
        return points

    def index_and_dims(s: FloatArray, c: FloatArray) -> FloatArray:
        dims, index = tree.scores(leaf_points(s, c))
        stacked: FloatArray = np.column_stack([index, dims])
        return stacked

    point = leaf_points(sums.sum(axis=0)[None, :], counts.sum(axis=0)[None, :])
    dims, index = tree.scores(point)
    missing = [names[i] for i in range(len(names)) if not np.isfinite(point[0, i])]
    incomplete = bool(missing) and tree.config.missing_leaf_policy == "incomplete"
    clusters = int(sums.shape[0])
    drawn = cluster_bootstrap_draws(
        sums, counts, index_and_dims, resamples=config.bootstrap_resamples
    )
    resampled = {tree.dim_of[i] for i in tree.survey}
    intervals: dict[str, object] = {}
    for j, (dim, value) in enumerate(zip(tree.config.dimensions, dims[0], strict=True)):
        interval = (
            percentile_interval(drawn[:, 1 + j])
            if drawn is not None and np.isfinite(value)
            else None
        )
        intervals[dim.code] = {
            "ci_low": None if interval is None else interval[0],
            "ci_high": None if interval is None else interval[1],
            # only fixed leaves (KPI, complaints): no sampling error is modelled, a zero width
            "resampled": j in resampled,
        }
    extra: dict[str, object] = {
        "customers": clusters,
        "dimensions": {
            d.code: (float(v) if np.isfinite(v) else None)
            for d, v in zip(tree.config.dimensions, dims[0], strict=True)
        },
        "dimension_intervals": intervals,
        "missing_leaves": missing,
        "missing_leaf_policy": tree.config.missing_leaf_policy,
        "incomplete": incomplete,
        "warnings": tree.warnings
        + (
            [
                f"missing leaves {', '.join(missing)}: "
                + ("index left empty" if incomplete else "the other leaves reweighted")
            ]
            if missing
            else []
        ),
    }
    if incomplete or not np.isfinite(index[0]):
        return (
            empty(extra)
            if clusters == 0
            else Estimate(clusters, None, None, None, clusters < config.min_n, extra)
        )
    interval = None if drawn is None else percentile_interval(drawn[:, 0])
    low, high = interval if interval is not None else (None, None)
    return Estimate(clusters, float(index[0]), low, high, clusters < config.min_n, extra)

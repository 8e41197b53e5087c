"""Customer Satisfaction Index: a weighted mean of satisfaction items rescaled to 0-100.

CSI = sum_i w_i * 100 * (mean_i - low_i) / (high_i - low_i) over the configured items, with the
weights renormalised to add to 1. An item nobody answered in a slice is left out and the rest
are reweighted (named in `missing_items`). Uncertainty: clustered bootstrap over customers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from trustpulse.metrics.bootstrap import FloatArray, cluster_bootstrap
from trustpulse.metrics.estimate import DEFAULT_MIN_N, Estimate, empty
from trustpulse.metrics.schemas import ScaledItem

logger = logging.getLogger(__name__)


def renormalise(weights: Sequence[float], *, what: str) -> tuple[list[float], list[str]]:
    """Weights scaled to add to 1, and a warning when they did not already (within 1e-9).

    Raises ValueError when they add to 0 or less.
    """
    total = float(sum(weights))
    if total <= 0:
        raise ValueError(f"{what} weights add to {total:g}; they must add to more than 0")
    warnings: list[str] = []
    if abs(total - 1.0) > 1e-9:
        warnings.append(
            f"{what} weights add to {total:.4g}, not 1: renormalised (each divided by {total:.4g})"
        )
        logger.info("%s weights add to %.4g: renormalised", what, total)
    return [w / total for w in weights], warnings


def rescale_matrix(items: Sequence[ScaledItem]) -> tuple[FloatArray, FloatArray]:
    lows = np.array([item.scale_min for item in items], dtype=np.float64)
    spans = np.array([item.scale_max - item.scale_min for item in items], dtype=np.float64)
    return lows, spans


def weighted_score(
    sums: FloatArray, counts: FloatArray, weights: FloatArray, lows: FloatArray, spans: FloatArray
) -> FloatArray:
    """Rows of item totals -> composite on 0-100, reweighting over the items present per row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    present = counts > 0
    scaled = np.where(present, 100.0 * (means - lows) / spans, 0.0)
    used = np.where(present, weights, 0.0)
    total_weight = used.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: FloatArray = np.where(
            total_weight > 0, (scaled * used).sum(axis=-1) / total_weight, np.nan
        )
    return result


def csi_estimate(
    items: Sequence[ScaledItem],
    weights: Sequence[float],
    sums: FloatArray,
    counts: FloatArray,
    *,
    min_n: int = DEFAULT_MIN_N,
    resamples: int = 1000,
    warnings: Sequence[str] = (),
) -> Estimate:
    """CSI for one slice from per-customer item totals (customers x items), weights adding to 1.

    n is the number of customers (the clustering unit); `responses` counts answered items.
    """
    names = [item.name for item in items]
    w = np.asarray(weights, dtype=np.float64)
    lows, spans = rescale_matrix(items)
    clusters = int(sums.shape[0])
    totals_n = counts.sum(axis=0) if clusters else np.zeros(len(items))
    missing = [name for name, k in zip(names, totals_n, strict=True) if k == 0]
    extra: dict[str, object] = {
        "customers": clusters,
        "item_n": {name: int(k) for name, k in zip(names, totals_n, strict=True)},
        "missing_items": missing,
        "warnings": list(warnings)
        + ([f"no answers for {', '.join(missing)}: the other items reweighted"] if missing else []),
    }
    if clusters == 0 or len(missing) == len(names):
        return empty(extra)
    value = float(weighted_score(sums.sum(axis=0), totals_n, w, lows, spans))
    interval = cluster_bootstrap(
        sums,
        counts,
        lambda s, c: weighted_score(s, c, w, lows, spans),
        resamples=resamples,
    )
    low, high = interval if interval is not None else (None, None)
    return Estimate(clusters, value, low, high, clusters < min_n, extra)

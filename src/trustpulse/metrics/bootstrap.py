"""Clustered bootstrap for composite scores: resample customers, not responses.

A composite (CSI, a trust dimension, the trust index) is a function of column totals: for each
item the sum of its values and the number of values. One customer's responses are correlated,
so the resampling unit is the customer (a cluster): each resample draws C customers with
replacement out of C and recomputes the composite from their summed parts. The interval is
the percentile interval (2.5 %, 97.5 %) of the resampled composites.

From `NORMAL_FROM_CLUSTERS` customers on (every answered item answered by at least
`NORMAL_MIN_ANSWERING` of them), a resample's totals are drawn from their normal limit with the
resample's exact mean and covariance instead of drawing the customers themselves: the same
distribution to within Monte-Carlo error, at a cost independent of the number of customers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

FloatArray = npt.NDArray[np.float64]
DEFAULT_RESAMPLES = 1000
# From this many customers, with every answered item answered by NORMAL_MIN_ANSWERING of them,
# resampled totals are drawn from their normal limit (`_normal_totals`): tests/metrics/
# test_bootstrap.py checks both give the same intervals there and the coverage holds.
NORMAL_FROM_CLUSTERS = 2_000
NORMAL_MIN_ANSWERING = 500
_CHUNK_CELLS = 4_000_000  # resample weights held at once (resamples x clusters), ~32 MB
# The resample products are many small matrix products: BLAS threads only fight each other
# (and the web server's threads) for the cores. One thread measured 1.5-5x faster on the
# 2-core machine (500 to 50,000 customers, docs/benchmarks.md); the limit costs ~0.05 ms.
_BLAS = ThreadpoolController()


def one_blas_thread() -> Any:
    """A context in which numpy's matrix products run on one thread (see _BLAS)."""
    return _BLAS.limit(limits=1, user_api="blas")


def resample_counts(rng: np.random.Generator, clusters: int, resamples: int) -> FloatArray:
    """(resamples x clusters) multiplicities: how often each cluster is drawn in each resample."""
    cells = resamples * clusters
    if cells < 2**31:  # int32 draws: half the memory traffic of int64
        small = rng.integers(0, clusters, size=(resamples, clusters), dtype=np.int32)
        flat = (
            small + (np.arange(resamples, dtype=np.int32) * np.int32(clusters))[:, None]
        ).ravel()
    else:
        large = rng.integers(0, clusters, size=(resamples, clusters), dtype=np.int64)
        flat = (large + (np.arange(resamples, dtype=np.int64) * clusters)[:, None]).ravel()
    counts = np.bincount(flat, minlength=cells)
    return counts.reshape(resamples, clusters).astype(np.float64)


def cluster_bootstrap_draws(
    sums: FloatArray,
    counts: FloatArray,
    statistic: Callable[[FloatArray, FloatArray], FloatArray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> FloatArray | None:
    """The statistic of every customer resample, stacked along axis 0.

    sums, counts: (clusters x items) per-customer totals. statistic(total_sums, total_counts)
    takes (r x items) arrays and returns r values, or an (r x k) array of k statistics computed
    from the same resamples (e.g. the trust index and its dimension scores); NaN where
    undefined. Returns None with fewer than 2 clusters. The seed is fixed so the same data
    gives the same draws.
    """
    clusters = sums.shape[0]
    if clusters < 2:
        return None
    rng = np.random.default_rng(seed)
    if _normal_enough(counts):
        totals = _normal_totals(rng, sums, counts, resamples)
        items = sums.shape[1]
        drawn: FloatArray = statistic(totals[:, :items], totals[:, items:])
        return drawn
    per_chunk = max(1, _CHUNK_CELLS // clusters)
    values: list[FloatArray] = []
    done = 0
    with one_blas_thread():
        while done < resamples:
            size = min(per_chunk, resamples - done)
            weights = resample_counts(rng, clusters, size)
            values.append(statistic(weights @ sums, weights @ counts))
            done += size
    return np.concatenate(values)


def _normal_enough(counts: FloatArray) -> bool:
    """Whether the resampled totals are as good as normal: many customers, and every item that
    anyone answered answered by many of them (a rare item's total stays skewed)."""
    if counts.shape[0] < NORMAL_FROM_CLUSTERS:
        return False
    answering = (counts > 0).sum(axis=0)
    return bool(((answering == 0) | (answering >= NORMAL_MIN_ANSWERING)).all())


def _normal_totals(
    rng: np.random.Generator, sums: FloatArray, counts: FloatArray, resamples: int
) -> FloatArray:
    """Resampled column totals [sums | counts] drawn from the normal distribution with the
    customer resample's own mean and covariance.

    A resample's totals are a sum of C customers drawn with replacement: mean = the observed
    totals, covariance = C x the customers' covariance (divisor C). With thousands of
    customers that sum is normal to within the bootstrap's own Monte-Carlo error, and drawing
    it costs O(resamples x items) instead of O(resamples x customers): a month at 1M responses
    (12,000 customers) 0.15 s -> ~5 ms. The statistic is still applied to each draw, so the
    composite's nonlinearity (ratios, clipping, reweighting) shapes the interval as before.
    """
    rows = np.hstack([sums, counts])
    centred = rows - rows.mean(axis=0)
    with one_blas_thread():
        covariance = centred.T @ centred  # C x covariance with divisor C
    drawn: FloatArray = rng.multivariate_normal(
        rows.sum(axis=0), covariance, size=resamples, method="eigh"
    )
    return drawn


def percentile_interval(drawn: FloatArray) -> tuple[float, float] | None:
    """The 2.5 % and 97.5 % percentiles of one statistic's draws (NaNs dropped; None if none)."""
    finite = drawn[np.isfinite(drawn)]
    if finite.size == 0:
        return None
    low, high = np.quantile(finite, [0.025, 0.975])
    return float(low), float(high)


def cluster_bootstrap(
    sums: FloatArray,
    counts: FloatArray,
    statistic: Callable[[FloatArray, FloatArray], FloatArray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float] | None:
    """95 % percentile interval of a single `statistic` (r values) over customer resamples.

    Returns None with fewer than 2 clusters or when no resample is defined.
    """
    drawn = cluster_bootstrap_draws(sums, counts, statistic, resamples=resamples, seed=seed)
    return None if drawn is None else percentile_interval(drawn)

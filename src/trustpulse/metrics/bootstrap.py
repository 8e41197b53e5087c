"""Clustered bootstrap for composite scores: resample customers, not responses.

A composite (CSI, a trust dimension, the trust index) is a function of column totals: for each
item the sum of its values and the number of values. One customer's responses are correlated,
so the resampling unit is the customer (a cluster): each resample draws C customers with
replacement out of C and recomputes the composite from their summed parts. The interval is
the percentile interval (2.5 %, 97.5 %) of the resampled composites.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

FloatArray = npt.NDArray[np.float64]
DEFAULT_RESAMPLES = 1000
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

"""The clustered bootstrap covers the true composite in >= 93 % of 200 generated samples."""

from __future__ import annotations

import numpy as np

from trustpulse.metrics.bootstrap import cluster_bootstrap, resample_counts
from trustpulse.metrics.csi import weighted_score

WEIGHTS = np.array([0.35, 0.25, 0.20, 0.15]) / 0.95
MEANS = np.array([7.0, 6.0, 8.0, 5.0])  # on 0-10
LOWS, SPANS = np.zeros(4), np.full(4, 10.0)
TRUE_CSI = float(WEIGHTS @ (10.0 * MEANS))


def _sample(rng: np.random.Generator, customers: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer item sums and counts: 1-3 responses each, a shared customer effect
    (responses of one customer are correlated), items sometimes unanswered."""
    responses = rng.integers(1, 4, customers)
    effect = rng.normal(0.0, 1.2, customers)
    sums = np.zeros((customers, 4))
    counts = np.zeros((customers, 4))
    for c in range(customers):
        values = MEANS + effect[c] + rng.normal(0.0, 1.5, (responses[c], 4))
        answered = rng.random((responses[c], 4)) < 0.8
        sums[c] = np.where(answered, values, 0.0).sum(axis=0)
        counts[c] = answered.sum(axis=0)
    return sums, counts


def test_resample_counts_draw_as_many_customers_as_there_are() -> None:
    counts = resample_counts(np.random.default_rng(1), 7, 50)
    assert counts.shape == (50, 7)
    assert (counts.sum(axis=1) == 7).all()


def test_interval_covers_the_true_csi_in_at_least_93_percent_of_200_samples() -> None:
    rng = np.random.default_rng(2026)
    covered = 0
    for _ in range(200):
        sums, counts = _sample(rng, 150)
        interval = cluster_bootstrap(
            sums,
            counts,
            lambda s, c: weighted_score(s, c, WEIGHTS, LOWS, SPANS),
            resamples=1000,
            seed=int(rng.integers(1 << 31)),
        )
        assert interval is not None
        covered += interval[0] <= TRUE_CSI <= interval[1]
    assert covered >= 186, covered

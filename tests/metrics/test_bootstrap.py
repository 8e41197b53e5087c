"""The clustered bootstrap covers the true composite (CSI; the trust index and each of its
dimension scores) in >= 93 % of 200 generated samples."""

from __future__ import annotations

import numpy as np
import pytest

from trustpulse.metrics import bootstrap
from trustpulse.metrics.bootstrap import cluster_bootstrap, resample_counts
from trustpulse.metrics.csi import weighted_score
from trustpulse.metrics.schemas import CsiConfig, CsiItem, MetricsConfig, TrustIndexConfig
from trustpulse.metrics.trust_index import IndexTree, estimate

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


# three dimensions over the four items above (0-10, anchors 0 and 10) and one fixed KPI leaf:
# quality = (2 * item0 + item1) / 3 points and KPI 60 points, equal leaf weights within it
TRUST_TREE = TrustIndexConfig.model_validate(
    {
        "dimensions": [
            {
                "code": "quality", "name_en": "Q", "name_zh": "质", "weight": 0.5,
                "leaves": [
                    {"name": "a", "source": "survey", "metric": "i0", "weight": 2, "bad": 0,
                     "good": 10},
                    {"name": "b", "source": "survey", "metric": "i1", "bad": 0, "good": 10},
                ],
            },
            {
                "code": "service", "name_en": "S", "name_zh": "服", "weight": 0.3,
                "leaves": [
                    {"name": "c", "source": "survey", "metric": "i2", "bad": 0, "good": 10},
                    {"name": "k", "source": "kpi", "metric": "defect_rate", "bad": 5, "good": 0},
                ],
            },
            {
                "code": "price", "name_en": "P", "name_zh": "价", "weight": 0.2,
                "leaves": [{"name": "d", "source": "survey", "metric": "i3", "bad": 0,
                            "good": 10}],
            },
        ]
    }
)  # fmt: skip
KPI_POINTS = 60.0
METRICS_CONFIG = MetricsConfig(
    csi=CsiConfig(items=[CsiItem(name="x", metric="x", scale_min=0, scale_max=10, weight=1)]),
    bootstrap_resamples=1000,
)
TRUE_DIMENSIONS = {
    "quality": 10.0 * (2 * MEANS[0] + MEANS[1]) / 3,
    "service": (10.0 * MEANS[2] + KPI_POINTS) / 2,
    "price": 10.0 * MEANS[3],
}
TRUE_INDEX = (
    0.5 * TRUE_DIMENSIONS["quality"]
    + 0.3 * TRUE_DIMENSIONS["service"]
    + 0.2 * TRUE_DIMENSIONS["price"]
)


def test_trust_index_and_dimension_intervals_cover_the_truth_in_93_percent_of_200() -> None:
    tree = IndexTree(TRUST_TREE)
    rng = np.random.default_rng(2027)
    covered = dict.fromkeys(["index", *TRUE_DIMENSIONS], 0)
    for _ in range(200):
        sums, counts = _sample(rng, 150)
        found = estimate(tree, sums, counts, (np.array([KPI_POINTS]), np.array([])), METRICS_CONFIG)
        assert found.value is not None
        assert found.ci_low is not None
        assert found.ci_high is not None
        covered["index"] += found.ci_low <= TRUE_INDEX <= found.ci_high
        intervals = found.extra["dimension_intervals"]
        assert isinstance(intervals, dict)
        for code, truth in TRUE_DIMENSIONS.items():
            covered[code] += intervals[code]["ci_low"] <= truth <= intervals[code]["ci_high"]
    assert min(covered.values()) >= 186, covered


def test_dimension_intervals_contain_the_dimension_scores() -> None:
    sums, counts = _sample(np.random.default_rng(5), 60)
    found = estimate(
        IndexTree(TRUST_TREE),
        sums,
        counts,
        (np.array([KPI_POINTS]), np.array([])),
        METRICS_CONFIG,
    )
    dimensions, intervals = found.extra["dimensions"], found.extra["dimension_intervals"]
    assert isinstance(dimensions, dict)
    assert isinstance(intervals, dict)
    for code, value in dimensions.items():
        assert intervals[code]["ci_low"] < value < intervals[code]["ci_high"]
        assert intervals[code]["resampled"] is True
    assert found.ci_low < found.value < found.ci_high  # type: ignore[operator]


def _many(rng: np.random.Generator, customers: int) -> tuple[np.ndarray, np.ndarray]:
    """_sample's model, vectorised for thousands of customers."""
    responses = rng.integers(1, 4, customers)
    owner = np.repeat(np.arange(customers), responses)
    values = MEANS + rng.normal(0.0, 1.2, customers)[owner, None]
    values = values + rng.normal(0.0, 1.5, (len(owner), 4))
    answered = rng.random((len(owner), 4)) < 0.8
    sums = np.zeros((customers, 4))
    counts = np.zeros((customers, 4))
    np.add.at(sums, owner, np.where(answered, values, 0.0))
    np.add.at(counts, owner, answered)
    return sums, counts


def _csi(s: np.ndarray, c: np.ndarray) -> np.ndarray:
    return weighted_score(s, c, WEIGHTS, LOWS, SPANS)


def test_large_samples_draw_totals_from_their_normal_limit_with_the_same_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sums, counts = _many(np.random.default_rng(5), 3_000)
    assert bootstrap._normal_enough(counts)
    normal = cluster_bootstrap(sums, counts, _csi, resamples=4000, seed=1)
    monkeypatch.setattr(bootstrap, "NORMAL_FROM_CLUSTERS", 10**9)  # customers drawn again
    assert not bootstrap._normal_enough(counts)
    exact = cluster_bootstrap(sums, counts, _csi, resamples=4000, seed=1)
    assert normal is not None
    assert exact is not None
    width = exact[1] - exact[0]
    assert abs(normal[0] - exact[0]) < 0.05 * width, (normal, exact)
    assert abs(normal[1] - exact[1]) < 0.05 * width, (normal, exact)


def test_a_rarely_answered_item_keeps_the_customer_resample() -> None:
    sums, counts = _many(np.random.default_rng(6), 3_000)
    few = bootstrap.NORMAL_MIN_ANSWERING
    counts[:few, 3], sums[:few, 3] = 1.0, 5.0  # item 3: answered by only 500 customers
    counts[few:, 3], sums[few:, 3] = 0.0, 0.0
    assert bootstrap._normal_enough(counts)
    counts[few - 1, 3] = 0.0
    assert not bootstrap._normal_enough(counts)


def test_the_normal_limit_covers_the_true_csi_as_often_as_the_customer_resample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200 samples of 2,000 customers, both ways on the same samples: 186 and 185 covered
    (the customer resample covers 182-185 of 200 here on other seeds too: about 92 %)."""
    rng = np.random.default_rng(2027)
    samples = [
        (*_many(rng, bootstrap.NORMAL_FROM_CLUSTERS), int(rng.integers(1 << 31)))
        for _ in range(200)
    ]

    def covered() -> int:
        hits = 0
        for sums, counts, seed in samples:
            interval = cluster_bootstrap(sums, counts, _csi, seed=seed)
            assert interval is not None
            hits += interval[0] <= TRUE_CSI <= interval[1]
        return hits

    assert all(bootstrap._normal_enough(c) for _s, c, _seed in samples)
    normal = covered()
    monkeypatch.setattr(bootstrap, "NORMAL_FROM_CLUSTERS", 10**9)
    exact = covered()
    assert abs(normal - exact) <= 4, (normal, exact)
    assert normal >= 180, normal  # 90 %

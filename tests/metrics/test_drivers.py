"""Key drivers: relative weights find the demo's three planted NPS drivers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_customer
from trustpulse.demo.generate import DemoData, generate
from trustpulse.demo.model import DRIVERS, TP_METRICS, DemoConfig
from trustpulse.demo.voice import METRICS
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.bootstrap import resample_counts
from trustpulse.metrics.drivers import (
    pairwise_correlation,
    relative_weights,
    resampled_correlations,
    score_metrics,
)


def _survey_matrix(data: DemoData) -> np.ndarray:
    """Rows: surveys; columns: nps then the 12 touchpoints (the demo asks every touchpoint)."""
    wanted = [METRICS.index(m) for m in ["nps", *TP_METRICS]]
    ids = np.unique(data.score_feedback[data.score_metric == wanted[0]])
    matrix = np.empty((len(ids), len(wanted)))
    for j, m in enumerate(wanted):
        mask = data.score_metric == m
        matrix[:, j] = data.score_value[mask][np.argsort(data.score_feedback[mask])]
    return matrix


def test_raw_weights_add_up_to_r_squared_of_the_regression() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 3)) @ np.array([[1, 0.5, 0.2], [0, 1, 0.3], [0, 0, 1]])
    y = x @ np.array([1.0, 0.5, 0.0]) + rng.normal(size=500)
    drivers = relative_weights(y, x, ["a", "b", "c"], resamples=0)
    design = np.column_stack([np.ones(500), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - residual.var() / y.var()
    assert drivers[0].r_squared == pytest.approx(r2, abs=1e-9)
    assert sum(d.importance for d in drivers) == pytest.approx(1.0)
    assert drivers[0].driver == "a"


def test_planted_three_drivers_rank_top_three_in_at_least_19_of_20_seeds() -> None:
    hits = 0
    for seed in range(20):
        matrix = _survey_matrix(generate(DemoConfig(seed=seed, scale=0.02)))
        drivers = relative_weights(matrix[:, 0], matrix[:, 1:], list(TP_METRICS), resamples=0)
        hits += {d.driver for d in drivers[:3]} == set(DRIVERS)
    assert hits >= 19, hits


def test_sparse_touchpoints_use_pairwise_complete_correlations() -> None:
    # each respondent rates about half the touchpoints: the planted three still lead
    matrix = _survey_matrix(generate(DemoConfig(seed=5, scale=0.05)))
    rng = np.random.default_rng(5)
    predictors = np.where(rng.random(matrix[:, 1:].shape) < 0.5, matrix[:, 1:], np.nan)
    drivers = relative_weights(matrix[:, 0], predictors, list(TP_METRICS), resamples=50)
    assert {d.driver for d in drivers[:3]} == set(DRIVERS)
    assert all(d.n < len(matrix) for d in drivers)
    top = drivers[0]
    assert top.ci_low is not None
    assert top.ci_high is not None
    assert top.ci_low <= top.importance <= top.ci_high
    assert {d.quadrant for d in drivers} <= {"fix first", "keep up", "maintain", "lower priority"}


def test_pairwise_correlation_equals_pandas_on_complete_pairs() -> None:
    import pandas as pd  # noqa: PLC0415 -- only this test compares with pandas

    rng = np.random.default_rng(9)
    data = rng.normal(size=(200, 4))
    data[rng.random(data.shape) < 0.3] = np.nan
    expected = pd.DataFrame(data).corr(min_periods=10).to_numpy()
    assert np.allclose(pairwise_correlation(data), expected, equal_nan=True)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_resampled_correlations_equal_weighted_pandas_per_resample(missing: float) -> None:
    """Both ways of summing (complete rows: one product; missing values: one per column) give
    each resample's pairwise correlation of the rows repeated as often as they were drawn."""
    import pandas as pd  # noqa: PLC0415 -- only these tests compare with pandas

    rng = np.random.default_rng(11)
    data = rng.normal(size=(150, 5)) + rng.normal(size=(150, 1))
    data[rng.random(data.shape) < missing] = np.nan
    weights = resample_counts(rng, len(data), 6)
    got = resampled_correlations(data, weights)
    for k, w in enumerate(weights):
        repeated = pd.DataFrame(np.repeat(data, w.astype(int), axis=0))
        expected = repeated.corr(min_periods=10).to_numpy()
        assert np.allclose(got[k], expected, equal_nan=True), k


def test_too_few_pairs_is_refused() -> None:
    y = np.arange(20.0)
    x = np.full((20, 1), np.nan)
    x[:3, 0] = [1.0, 2.0, 3.0]
    with pytest.raises(InvalidInputError, match="too few responses"):
        relative_weights(y, x, ["tp_rare"], resamples=0)


def test_score_metrics_lists_each_metric_once_as_select_distinct_does(session: Session) -> None:
    customer = make_customer(session, brand="acme", external_id="M1")
    for i, metrics in enumerate([["nps", "tp_b"], ["tp_a", "nps"], ["csat"]]):
        feedback = Feedback(
            brand_id=customer.brand_id,
            customer_id=customer.id,
            kind=FeedbackKind.survey,
            channel="sms",
            occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
            source="test",
            external_id=f"F{i}",
            content_hash=f"h{i}",
            raw={},
        )
        session.add(feedback)
        session.flush()
        session.add_all([Score(feedback_id=feedback.id, metric=m, value=5.0) for m in metrics])
    session.flush()
    distinct = sorted(session.scalars(select(Score.metric).distinct()))
    assert score_metrics(session) == distinct == ["csat", "nps", "tp_a", "tp_b"]

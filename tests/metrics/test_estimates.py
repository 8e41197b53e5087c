"""The metric library by hand: exact NPS, Wilson, t and CSI numbers, and property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustpulse.metrics.csi import csi_estimate, renormalise
from trustpulse.metrics.means import ces_estimate, mean_interval
from trustpulse.metrics.nps import nps_difference, nps_estimate
from trustpulse.metrics.proportions import csat_estimate, two_proportion_test, wilson_interval
from trustpulse.metrics.schemas import ScaledItem

Z = 1.959963984540054


def test_nps_adjusted_wald_interval_by_hand() -> None:
    # 5 promoters, 3 passives, 2 detractors: raw NPS = 100 * (5 - 2) / 10 = 30.
    # adjusted: n' = 13, p' = 5.75 / 13 = 0.442308, d' = 2.75 / 13 = 0.211538,
    # centre = 0.230769; variance = p' + d' - centre^2 = 0.600592; se = sqrt(0.600592 / 13)
    # = 0.214941; half = 1.959964 * 0.214941 = 0.421275 -> (-19.0506, 65.2045) points.
    est = nps_estimate(5, 3, 2)
    assert est.value == 30.0
    assert est.ci_low == pytest.approx(-19.0506, abs=1e-4)
    assert est.ci_high == pytest.approx(65.2045, abs=1e-4)
    assert est.small_sample
    assert est.extra == {"promoters": 5, "passives": 3, "detractors": 2}


def test_nps_of_one_promoter_lies_outside_its_interval_and_is_flagged() -> None:
    # n' = 4, p' = 0.4375, d' = 0.1875, centre 0.25, variance 0.5625, se 0.375,
    # half 0.734986 -> (-48.4986, 98.4986): the raw +100 is outside, hence small_sample.
    est = nps_estimate(1, 0, 0)
    assert est.value == 100.0
    assert est.ci_low == pytest.approx(-48.4986, abs=1e-4)
    assert est.ci_high == pytest.approx(98.4986, abs=1e-4)
    assert est.small_sample


def test_nps_interval_is_clipped_to_100() -> None:
    est = nps_estimate(10_000, 0, 0)
    assert est.ci_high == 100.0


def test_nps_of_nothing_is_empty() -> None:
    est = nps_estimate(0, 0, 0)
    assert (est.n, est.value, est.ci_low, est.small_sample) == (0, None, None, True)


def test_nps_difference_by_hand() -> None:
    # a: 50/30/20 (NPS 30), b: 30/40/30 (NPS 0). Raw variances per response: a 0.5 + 0.2 -
    # 0.09 = 0.61, b 0.3 + 0.3 - 0 = 0.6; se = sqrt(0.61/100 + 0.6/100) = 0.11; z = 0.3/0.11.
    result = nps_difference((50, 30, 20), (30, 40, 30))
    assert result.difference == pytest.approx(30.0)
    assert result.z == pytest.approx(0.3 / 0.11)
    assert result.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(0.3 / 0.11 / 2**0.5))))
    assert result.ci_low < 30.0 < result.ci_high
    assert result.ci_low == pytest.approx(7.9143, abs=1e-4)


def test_wilson_interval_by_hand() -> None:
    # 8 of 10: z^2 = 3.841459; centre = (8 + 1.920729) / 13.841459 = 0.716737;
    # half = 1.959964 * sqrt(1.6 + 0.960365) / 13.841459 = 0.226576 -> (0.490162, 0.943318)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490162, abs=1e-6)
    assert high == pytest.approx(0.943318, abs=1e-6)
    est = csat_estimate(8, 10)
    assert est.value == pytest.approx(80.0)
    assert est.ci_low == pytest.approx(49.0162, abs=1e-4)


def test_two_proportion_test_by_hand() -> None:
    # 40/100 vs 25/100: pooled 0.325, se = sqrt(0.325 * 0.675 * 0.02) = 0.066238, z = 2.26455
    result = two_proportion_test(40, 100, 25, 100)
    assert result.z == pytest.approx(2.26455, abs=1e-5)
    assert result.ci_low < 0.15 < result.ci_high


def test_ces_mean_t_interval_by_hand() -> None:
    # 7, 6, 5, 4, 3: mean 5, s^2 = 2.5, se = 0.707107, t(0.975, 4) = 2.776445,
    # half = 1.963243 -> (3.036757, 6.963243); low effort (>= 5): 3 of 5
    mean, low, high = mean_interval(5, 25.0, 135.0)
    assert (mean, low, high) == pytest.approx((5.0, 3.036757, 6.963243), abs=1e-6)
    est = ces_estimate(5, 25.0, 135.0, 3)
    assert est.extra["low_effort_share"] == pytest.approx(0.6)


def test_csi_by_hand_renormalises_weights_and_says_so() -> None:
    # two items on 0-10 with weights 0.5 and 0.45 (sum 0.95 -> 0.526316 and 0.473684);
    # item means 8 and 6 -> 80 and 60 points -> CSI = 0.526316 * 80 + 0.473684 * 60 = 70.5263
    items = [
        ScaledItem(name="a", metric="tp_a", scale_min=0, scale_max=10),
        ScaledItem(name="b", metric="tp_b", scale_min=0, scale_max=10),
    ]
    weights, warnings = renormalise([0.5, 0.45], what="CSI item")
    assert sum(weights) == pytest.approx(1.0)
    assert "renormalised" in warnings[0]
    sums = np.array([[8.0, 6.0], [16.0, 12.0], [8.0, 6.0]] * 20)
    counts = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]] * 20)
    est = csi_estimate(items, weights, sums, counts, warnings=warnings)
    assert est.value == pytest.approx(70.526316, abs=1e-6)
    assert est.n == 60
    assert not est.small_sample
    assert est.extra["warnings"] == warnings
    assert est.ci_low == pytest.approx(est.value)  # every customer alike: no spread


def test_csi_reweights_over_the_items_answered() -> None:
    items = [
        ScaledItem(name="a", metric="tp_a", scale_min=1, scale_max=5),
        ScaledItem(name="b", metric="tp_b", scale_min=1, scale_max=5),
    ]
    est = csi_estimate(items, [0.5, 0.5], np.array([[5.0, 0.0]]), np.array([[1.0, 0.0]]))
    assert est.value == pytest.approx(100.0)
    assert est.extra["missing_items"] == ["b"]


counts3 = st.tuples(*[st.integers(0, 2000)] * 3).filter(lambda t: sum(t) > 0)


@given(counts3)
@settings(max_examples=300, deadline=None)
def test_nps_and_its_interval_lie_within_100_points(parts: tuple[int, int, int]) -> None:
    est = nps_estimate(*parts)
    assert est.value is not None
    assert est.ci_low is not None
    assert est.ci_high is not None
    assert -100.0 <= est.ci_low <= est.ci_high <= 100.0
    assert -100.0 <= est.value <= 100.0


@given(counts3.filter(lambda t: sum(t) >= 30))
@settings(max_examples=300, deadline=None)
def test_nps_interval_contains_the_raw_value_from_30_responses(
    parts: tuple[int, int, int],
) -> None:
    est = nps_estimate(*parts)
    assert est.ci_low is not None
    assert est.ci_high is not None
    assert est.ci_low <= est.value <= est.ci_high  # type: ignore[operator]
    assert not est.small_sample


@given(st.integers(1, 5000), st.data())
@settings(max_examples=200, deadline=None)
def test_wilson_interval_contains_the_share(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, n))
    low, high = wilson_interval(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@given(st.lists(st.floats(0.01, 100.0), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_renormalised_weights_add_to_one_and_keep_their_ratios(weights: list[float]) -> None:
    normalised, warnings = renormalise(weights, what="w")
    assert sum(normalised) == pytest.approx(1.0)
    assert normalised[0] * sum(weights) == pytest.approx(weights[0])
    assert bool(warnings) == (abs(sum(weights) - 1.0) > 1e-9)

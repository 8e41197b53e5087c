"""Trust and ROI: the logistic fit, LTV by hand, and the demo's planted repurchase effect."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Customer
from trustpulse.demo.model import DemoConfig
from trustpulse.demo.service import build_demo
from trustpulse.metrics.roi import add_investment, correlation, fit_logistic, ltv, trust_roi
from trustpulse.metrics.schemas import TrustTypeRules
from trustpulse.metrics.segments import customer_evidence
from trustpulse.runtime import Runtime

DEMO_NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_ltv_formula_by_hand() -> None:
    # 0.3 * 1000 * 0.5 / (1 + 0.1 - 0.5) = 150 / 0.6
    assert ltv(0.3, 1000.0, 0.5, 0.1) == pytest.approx(250.0)


def test_logistic_fit_recovers_a_known_slope() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(-0.5 + 0.8 * x)))).astype(float)
    model = fit_logistic(x, y)
    low, high = model.beta_ci
    assert low < 0.8 < high
    assert high - low < 0.2


def test_correlation_interval_contains_r() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    found = correlation(x, x + rng.normal(size=300))
    assert found["ci_low"] < found["r"] < found["ci_high"]  # type: ignore[operator]
    assert found["r"] == pytest.approx(1 / math.sqrt(2), abs=0.1)


def test_demo_repurchase_model_recovers_the_planted_effect(
    runtime: Runtime, tmp_path: Path
) -> None:
    build = build_demo(runtime.engine, truth_dir=tmp_path, config=DemoConfig(seed=4, scale=0.05))
    truth = json.loads(build.truth_path.read_text(encoding="utf-8"))
    planted = truth["repurchase_model"]
    lines = (tmp_path / truth["files"]["customers"]).read_text(encoding="utf-8").splitlines()
    latent = {row["external_id"]: row["trust"] for row in map(json.loads, lines)}
    settings = runtime.settings
    with runtime.session_factory() as session:
        brand = session.scalars(select(Brand).where(Brand.code == "aurora")).one()
        frame = customer_evidence(
            session, brand.id, rules=TrustTypeRules(), window_days=3650, as_of=DEMO_NOW
        )
        external = dict(session.execute(select(Customer.id, Customer.external_id)).all())
        x = np.array([latent[external[int(c)]] for c in frame.index])
        y = np.asarray(frame["orders"] >= 2, dtype=np.float64)
        model = fit_logistic(x, y)
        low, high = model.beta_ci
        assert low <= planted["beta"] <= high, (model.beta, planted["beta"])
        # the observed trust score (dim_* items) carries the same effect, attenuated
        add_investment(
            session, brand="aurora", category="quality_control", period="2026Q4", cost=5e4,
            expected_trust_gain=3.0,
        )  # fmt: skip
        session.flush()
        report = trust_roi(session, settings=settings, brand="aurora", trust_gain=5, as_of=DEMO_NOW)
        session.rollback()
    found = report["model"]
    assert isinstance(found, dict)
    assert found["beta_per_point"] > 0
    scenario = report["scenario"]
    assert isinstance(scenario, dict)
    change = scenario["repurchase_rate_change"]
    assert 0 < change["ci_low"] <= change["value"] <= change["ci_high"]
    assert report["prior"]["label"].startswith("assumption")  # type: ignore[index]
    investments = report["investments"]
    assert isinstance(investments, list)
    investment, total = investments
    assert investment["roi"]["ci_low"] <= investment["roi"]["value"] <= investment["roi"]["ci_high"]
    assert total["category"] == "total"


def test_too_few_customers_show_only_the_prior(session: Session, settings: Settings) -> None:
    from tests.metrics.test_segments import AS_OF, _people  # noqa: PLC0415 -- shared test data

    _people(session)
    report = trust_roi(session, settings=settings, brand="acme", trust_gain=5, as_of=AS_OF)
    assert report["model"] is None
    assert report["customers_with_orders"] == 5
    assert report["customers_modelled"] == 4
    assert report["repurchase_rate"] == pytest.approx(0.2)
    # mean trust (100 + 50 + 25 + 0) / 4 = 43.75; +5 points = +11.43 % trust; x 25/10 -> +28.6 %
    prior = report["prior"]
    assert isinstance(prior, dict)
    assert prior["repurchase_rate"] == pytest.approx(0.2 * (1 + 2.5 * 5 / 43.75))

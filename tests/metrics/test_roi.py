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
WHOLE_HISTORY_DAYS = 3650  # longer than the demo's history: every order counts


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
    """The product's beta interval holds the planted beta converted to the product's scale.

    The demo plants logit P(repurchase) = alpha + beta x latent trust (z). The product regresses
    on its observed trust score T (dim_* items, 0-100), a noisy measure of z. Regression
    calibration converts the planted beta to T's scale: E[z | T] = c + kappa T with kappa =
    cov(z, T) / var(T) over the modelled customers, and the rest of z (variance tau^2) averages
    the logistic out, shrinking the slope by 1 / sqrt(1 + pi beta^2 tau^2 / 8) (the probit
    approximation of the logistic). The window covers the demo's whole history, because the
    planted outcome is "repurchased ever", not within the default 365 days.
    """
    build = build_demo(runtime.engine, truth_dir=tmp_path, config=DemoConfig(seed=4, scale=0.05))
    truth = json.loads(build.truth_path.read_text(encoding="utf-8"))
    beta = truth["repurchase_model"]["beta"]
    lines = (tmp_path / truth["files"]["customers"]).read_text(encoding="utf-8").splitlines()
    latent = {row["external_id"]: row["trust"] for row in map(json.loads, lines)}
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "roi.yaml").write_text(f"window_days: {WHOLE_HISTORY_DAYS}\n", encoding="utf-8")
    settings = runtime.settings.model_copy(update={"config_dir": config_dir})
    with runtime.session_factory() as session:
        brand = session.scalars(select(Brand).where(Brand.code == "aurora")).one()
        frame = customer_evidence(
            session, brand.id, rules=TrustTypeRules(), window_days=WHOLE_HISTORY_DAYS,
            as_of=DEMO_NOW,
        )  # fmt: skip
        external = dict(session.execute(select(Customer.id, Customer.external_id)).all())
        add_investment(
            session, brand="aurora", category="quality_control", period="2026Q4", cost=5e4,
            expected_trust_gain=3.0,
        )  # fmt: skip
        session.flush()
        report = trust_roi(session, settings=settings, brand="aurora", trust_gain=5, as_of=DEMO_NOW)
        session.rollback()
    modelled = frame[(frame["orders"] >= 1) & frame["trust"].notna()]
    observed = modelled["trust"].to_numpy(dtype=float)
    z = np.array([latent[external[int(c)]] for c in modelled.index])
    kappa = float(np.cov(z, observed)[0, 1] / observed.var(ddof=1))
    rest = z - z.mean() - kappa * (observed - observed.mean())
    tau2 = float(rest.var(ddof=2))
    expected = beta * kappa / math.sqrt(1 + math.pi * beta**2 * tau2 / 8)
    found = report["model"]
    assert isinstance(found, dict)
    assert found["n"] == len(modelled)
    low, high = found["beta_ci"]
    assert low <= expected <= high, (found["beta_per_point"], expected)
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

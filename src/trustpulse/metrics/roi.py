"""Trust and behaviour: per-customer trust vs repurchase and spend, a logistic repurchase model,
"if trust rises by X points" scenarios with LTV, and the ROI of trust investments.

Definitions (all in docs/metrics.md, "Trust and ROI"):
- trust score: the mean of the customer's trust-dimension items (dim_*), rescaled to 0-100;
- repurchase: >= 2 orders in the window (window_days before the as-of date), among customers with
  >= 1 order there; spend: their order amounts in the window, annualised by 365 / window_days;
- LTV = margin x annual spend x retention / (1 + discount rate - retention) (the standard
  infinite-horizon form with constant retention; Gupta & Lehmann 2003), retention = the
  repurchase rate unless roi.yaml fixes it;
- the repurchase model is a logistic regression of repurchase on trust points (fitted by
  iteratively reweighted least squares; covariance = inverse Fisher information); scenario
  intervals are the 2.5-97.5 % percentiles over draws of the coefficients from their normal
  approximation, combined with draws of the spend slope (OLS);
- ROI of an investment = (customers x LTV change for its expected trust gain - cost) / cost;
- the rule of thumb (+10 % trust -> +25 % repurchase by default) is shown beside the model as a
  prior, labelled an assumption, never as a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.metrics.bootstrap import FloatArray
from trustpulse.metrics.estimate import Z95
from trustpulse.metrics.rollup_models import TrustInvestment
from trustpulse.metrics.schemas import RoiConfig
from trustpulse.metrics.segments import customer_evidence, load_segments_config

_DRAWS = 2000


@dataclass(frozen=True)
class Logistic:
    """P(y = 1) = 1 / (1 + exp(-(alpha + beta x))), with the coefficients' covariance."""

    alpha: float
    beta: float
    cov: FloatArray  # 2 x 2, order (alpha, beta)
    n: int

    @property
    def beta_ci(self) -> tuple[float, float]:
        se = math.sqrt(float(self.cov[1, 1]))
        return self.beta - Z95 * se, self.beta + Z95 * se


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def fit_logistic(x: FloatArray, y: FloatArray, *, iterations: int = 50) -> Logistic:
    """Maximum-likelihood logistic regression of y (0/1) on one predictor (IRLS / Newton).

    Raises ValueError when the outcome does not vary or the fit does not converge.
    """
    if len(x) < 3 or y.min() == y.max():
        raise ValueError("a logistic fit needs at least 3 rows and both outcomes")
    design = np.column_stack([np.ones(len(x)), x])
    coef = np.zeros(2)
    for _ in range(iterations):
        p = _sigmoid(design @ coef)
        weight = p * (1 - p)
        information = design.T @ (design * weight[:, None])
        step = np.linalg.solve(information, design.T @ (y - p))
        coef = coef + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise ValueError("the logistic fit did not converge (separated data?)")
    p = _sigmoid(design @ coef)
    information = design.T @ (design * (p * (1 - p))[:, None])
    cov = np.asarray(np.linalg.inv(information), dtype=np.float64)
    return Logistic(float(coef[0]), float(coef[1]), cov, len(x))


def correlation(x: FloatArray, y: FloatArray) -> dict[str, float | int | None]:
    """Pearson r with its Fisher-z 95 % interval (point-biserial when y is 0/1)."""
    n = len(x)
    if n < 4 or x.std() == 0 or y.std() == 0:
        return {"r": None, "ci_low": None, "ci_high": None, "n": n}
    r = float(np.corrcoef(x, y)[0, 1])
    z, half = math.atanh(max(min(r, 0.999999), -0.999999)), Z95 / math.sqrt(n - 3)
    return {"r": r, "ci_low": math.tanh(z - half), "ci_high": math.tanh(z + half), "n": n}


def ltv(margin: float, annual_spend: float, retention: float, discount_rate: float) -> float:
    """margin x annual spend x retention / (1 + discount rate - retention)."""
    return margin * annual_spend * retention / (1.0 + discount_rate - retention)


def _interval(values: FloatArray) -> dict[str, float]:
    low, mid, high = np.percentile(values, [2.5, 50, 97.5])
    return {"value": float(mid), "ci_low": float(low), "ci_high": float(high)}


def load_roi_config(settings: Settings, *, brand: str | None = None) -> RoiConfig:
    return load_config("roi", RoiConfig, settings=settings, brand=brand)


def trust_roi(
    session: Session,
    *,
    settings: Settings,
    brand: str,
    trust_gain: float = 5.0,
    as_of: datetime | None = None,
) -> dict[str, object]:
    """Trust vs behaviour for one brand and the modelled value of `trust_gain` more points.

    Raises NotFoundError for an unknown brand; the model part is None (with a reason) when fewer
    than min_customers customers have both a trust score and an order in the window.
    """
    as_of = as_of or utcnow()
    config = load_roi_config(settings, brand=brand)
    brand_row = customers.get_brand(session, brand)
    rules = load_segments_config(settings, brand=brand).trust_types
    frame = customer_evidence(
        session, brand_row.id, rules=rules, window_days=config.window_days, as_of=as_of
    )
    buyers = frame[frame["orders"] >= 1]
    sample = buyers[buyers["trust"].notna()]
    trust = sample["trust"].to_numpy(dtype=float)
    repurchased: FloatArray = np.asarray(sample["orders"] >= 2, dtype=np.float64)
    annual = sample["spend"].to_numpy(dtype=float) * 365.0 / config.window_days
    rate = float((buyers["orders"] >= 2).mean()) if len(buyers) else math.nan
    out: dict[str, object] = {
        "brand": brand,
        "as_of": as_of.isoformat(),
        "window_days": config.window_days,
        "customers_with_orders": len(buyers),
        "customers_modelled": len(sample),
        "repurchase_rate": rate,
        "mean_trust": float(trust.mean()) if len(trust) else None,
        "correlation_trust_repurchase": correlation(trust, repurchased),
        "correlation_trust_spend": correlation(trust, annual),
        "assumptions": {
            "margin": config.margin,
            "discount_rate": config.discount_rate,
            "retention": config.retention if config.retention is not None else "repurchase rate",
            "ltv_formula": "margin * annual_spend * retention / (1 + discount_rate - retention)",
        },
    }
    prior_rel = config.prior_repurchase_change_pct / config.prior_trust_change_pct
    if len(trust) and trust.mean() > 0:
        relative_trust = 100.0 * trust_gain / float(trust.mean())
        out["prior"] = {
            "label": "assumption (rule of thumb), not a finding",
            "rule": f"+{config.prior_trust_change_pct:g} % trust -> "
            f"+{config.prior_repurchase_change_pct:g} % repurchase",
            "repurchase_rate": rate * (1 + prior_rel * relative_trust / 100.0),
        }
    if len(sample) < config.min_customers or repurchased.min() == repurchased.max():
        out["model"] = None
        out["model_reason"] = f"fewer than {config.min_customers} customers with trust and orders"
        return out
    model = fit_logistic(trust, repurchased)
    fit = _Fit(model, trust, annual, rate, config)
    out["model"] = {
        "kind": "logistic regression of repurchase on trust points",
        "alpha": model.alpha,
        "beta_per_point": model.beta,
        "beta_ci": list(model.beta_ci),
        "odds_ratio_per_10_points": math.exp(10 * model.beta),
        "n": model.n,
    }
    out["scenario"] = fit.scenario(trust_gain)
    out["investments"] = _investments(session, brand_row.id, fit)
    return out


@dataclass(frozen=True)
class _Fit:
    """The fitted model and the modelled customers' trust and annual spend."""

    model: Logistic
    trust: FloatArray
    annual: FloatArray
    rate: float  # observed repurchase rate
    config: RoiConfig

    def draws(self) -> tuple[FloatArray, FloatArray]:
        rng = np.random.default_rng(0)
        mean = [self.model.alpha, self.model.beta]
        coef = rng.multivariate_normal(mean, self.model.cov, size=_DRAWS)
        slope, se = _ols_slope(self.trust, self.annual)
        slopes = rng.normal(slope, se, size=_DRAWS) if se > 0 else np.full(_DRAWS, slope)
        return coef, slopes

    def change(self, gain: float) -> dict[str, FloatArray]:
        """Draws of the repurchase-rate, revenue and LTV change for `gain` more trust points."""
        coef, slopes = self.draws()
        trust, config = self.trust, self.config
        shifted = np.clip(trust + gain, 0.0, 100.0)
        p0 = _sigmoid(coef[:, :1] + coef[:, 1:] * trust[None, :]).mean(axis=1)
        p1 = _sigmoid(coef[:, :1] + coef[:, 1:] * shifted[None, :]).mean(axis=1)
        spend0 = float(self.annual.mean())
        spend1 = spend0 + slopes * float((shifted - trust).mean())
        base = config.retention if config.retention is not None else self.rate
        r1 = np.clip(base * p1 / p0, 0.0, 0.99)
        ltv0 = ltv(config.margin, spend0, base, config.discount_rate)
        ltv1 = config.margin * spend1 * r1 / (1.0 + config.discount_rate - r1)
        return {
            "rate_change": p1 - p0,
            "rate1": r1,
            "revenue_change": (spend1 - spend0) * len(trust),
            "ltv0": np.full(_DRAWS, ltv0),
            "ltv_change": ltv1 - ltv0,
        }

    def scenario(self, gain: float) -> dict[str, object]:
        d = self.change(gain)
        return {
            "trust_gain_points": gain,
            "repurchase_rate_change": _interval(d["rate_change"]),
            "repurchase_rate_after": _interval(d["rate1"]),
            "annual_revenue_change": _interval(d["revenue_change"]),
            "ltv_per_customer_before": float(d["ltv0"][0]),
            "ltv_change_per_customer": _interval(d["ltv_change"]),
            "margin_gain_total": _interval(d["ltv_change"] * len(self.trust)),
        }


def _ols_slope(x: FloatArray, y: FloatArray) -> tuple[float, float]:
    x0 = x - x.mean()
    sxx = float(x0 @ x0)
    if sxx == 0 or len(x) < 3:
        return 0.0, 0.0
    slope = float(x0 @ (y - y.mean())) / sxx
    residual = y - y.mean() - slope * x0
    return slope, math.sqrt(float(residual @ residual) / (len(x) - 2) / sxx)


def add_investment(
    session: Session,
    *,
    brand: str,
    category: str,
    period: str,
    cost: float,
    expected_trust_gain: float,
    note: str | None = None,
) -> TrustInvestment:
    """Record a trust investment in the ledger (cost in the brand's currency, gain in points)."""
    brand_row = customers.get_brand(session, brand)
    row = TrustInvestment(
        brand_id=brand_row.id,
        category=category,
        period=period,
        cost=cost,
        expected_trust_gain=expected_trust_gain,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def _investments(session: Session, brand_id: int, fit: _Fit) -> list[dict[str, object]]:
    rows = session.scalars(
        select(TrustInvestment)
        .where(TrustInvestment.brand_id == brand_id)
        .order_by(TrustInvestment.period, TrustInvestment.id)
    ).all()
    out: list[dict[str, object]] = []
    total_gain = np.zeros(_DRAWS)
    total_cost = 0.0
    for inv in rows:
        margin = fit.change(inv.expected_trust_gain)["ltv_change"] * len(fit.trust)
        total_gain += margin
        total_cost += inv.cost
        out.append(
            {
                "id": inv.id,
                "category": inv.category,
                "period": inv.period,
                "cost": inv.cost,
                "expected_trust_gain": inv.expected_trust_gain,
                "modelled_margin_gain": _interval(margin),
                "roi": _interval((margin - inv.cost) / inv.cost) if inv.cost > 0 else None,
            }
        )
    if rows and total_cost > 0:
        out.append(
            {
                "id": None,
                "category": "total",
                "cost": total_cost,
                "modelled_margin_gain": _interval(total_gain),
                "roi": _interval((total_gain - total_cost) / total_cost),
            }
        )
    return out

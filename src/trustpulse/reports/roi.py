"""Trust vs repurchase for the drivers page: observed rates by trust band, the fitted curve and
the "if trust rises by X points" scenario of metrics.roi.trust_roi.

The bands use the same customers the model uses (metrics.roi): customers with at least one
order in the window and a trust score; repurchase = two or more orders in the window. Each
band's rate carries a Wilson 95 % interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.metrics.proportions import wilson_interval
from trustpulse.metrics.roi import load_roi_config, trust_roi
from trustpulse.metrics.schemas import RoiConfig
from trustpulse.metrics.segments import customer_evidence, load_segments_config

BAND_POINTS = 10  # trust bands 0-10, 10-20, ... 90-100
CURVE_STEP = 2  # the fitted curve is drawn every 2 trust points


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    n: int
    repurchased: int
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class RepurchaseView:
    report: dict[str, object]  # trust_roi's answer: model, scenario, prior, assumptions
    bands: list[Band]
    curve: list[tuple[float, float]]  # (trust points, modelled repurchase probability); [] = none
    config: RoiConfig  # the brand's roi.yaml: assumptions shown beside the figures


def repurchase_bands(
    session: Session, *, settings: Settings, brand: str, as_of: datetime
) -> list[Band]:
    """Observed repurchase rate per trust band (bands without customers are left out)."""
    brand_row = customers.get_brand(session, brand)
    config = load_roi_config(settings, brand=brand)
    rules = load_segments_config(settings, brand=brand).trust_types
    frame = customer_evidence(
        session, brand_row.id, rules=rules, window_days=config.window_days, as_of=as_of
    )
    sample = frame[(frame["orders"] >= 1) & frame["trust"].notna()]
    bands = []
    for low in range(0, 100, BAND_POINTS):
        high = low + BAND_POINTS
        upper = sample["trust"] <= high if high == 100 else sample["trust"] < high
        inside = sample[(sample["trust"] >= low) & upper]
        n = len(inside)
        if n == 0:
            continue
        repurchased = int((inside["orders"] >= 2).sum())
        ci_low, ci_high = wilson_interval(repurchased, n)
        bands.append(Band(low, high, n, repurchased, repurchased / n, ci_low, ci_high))
    return bands


def repurchase_view(
    session: Session,
    *,
    settings: Settings,
    brand: str,
    trust_gain: float,
    bands: list[Band] | None = None,
) -> RepurchaseView:
    """Bands, fitted curve and scenario for one brand; NotFoundError for an unknown brand.

    `bands` may be passed when the caller holds them already (they do not depend on the gain).
    """
    as_of = utcnow()
    report = trust_roi(session, settings=settings, brand=brand, trust_gain=trust_gain, as_of=as_of)
    curve: list[tuple[float, float]] = []
    model = report.get("model")
    if isinstance(model, dict):
        alpha, beta = float(model["alpha"]), float(model["beta_per_point"])
        curve = [
            (float(x), 1.0 / (1.0 + math.exp(-(alpha + beta * x))))
            for x in range(0, 101, CURVE_STEP)
        ]
    if bands is None:
        bands = repurchase_bands(session, settings=settings, brand=brand, as_of=as_of)
    return RepurchaseView(
        report=report,
        bands=bands,
        curve=curve,
        config=load_roi_config(settings, brand=brand),
    )

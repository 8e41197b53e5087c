"""Monthly operational KPIs per brand and product (percent values), with the crisis visible."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import numpy as np

from trustpulse.demo.model import (
    CRISIS,
    PERIOD_END,
    PERIOD_START,
    PROMOTIONS,
    SOURCE,
    BrandSpec,
    local_midnight_utc,
)


def months() -> list[date]:
    out, day = [], PERIOD_START.replace(day=1)
    while day <= PERIOD_END:
        out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _promo_month(month: date) -> bool:
    return any(p.start.replace(day=1) == month for p in PROMOTIONS)


def make_kpis(rng: np.random.Generator, brand: BrandSpec, brand_index: int) -> list[dict[str, Any]]:
    """defect_rate, reinspection_pass_rate, system_availability, information_completeness (%).

    The crisis product's defect rate climbs the month before the crisis and peaks in it: the
    operational signal that could have warned about the trust crisis.
    """
    rows: list[dict[str, Any]] = []
    crisis_month = CRISIS.start.replace(day=1)
    pre_crisis = (crisis_month - timedelta(days=1)).replace(day=1)
    all_months = months()
    for m, month in enumerate(all_months):
        trend = m / max(len(all_months) - 1, 1)
        values: dict[str, dict[str, float]] = {"all": {}}
        for product in brand.products:
            scope = f"product:{product.code}"
            defect = 0.9 + rng.normal(0, 0.12) - 0.2 * trend
            reinspect = 97.8 + rng.normal(0, 0.4)
            if brand.code == CRISIS.brand and product.code == CRISIS.product:
                if month == pre_crisis:
                    defect, reinspect = defect + 0.9, reinspect - 1.5
                elif month == crisis_month:
                    defect, reinspect = defect + 2.6, reinspect - 4.0
            info = 91.0 + 6.0 * trend + rng.normal(0, 0.8)
            values[scope] = {
                "defect_rate": defect,
                "reinspection_pass_rate": min(reinspect, 99.9),
                "information_completeness": min(info, 99.5),
            }
        products = [v for k, v in values.items() if k != "all"]
        for metric in ("defect_rate", "reinspection_pass_rate", "information_completeness"):
            values["all"][metric] = float(np.mean([p[metric] for p in products]))
        outage = rng.exponential(0.04) + (0.5 if _promo_month(month) else 0.0)
        values["all"]["system_availability"] = 99.95 - outage
        start = local_midnight_utc(month)
        period = f"{month.year}-{month.month:02d}"
        for scope, metrics in values.items():
            for metric, raw_value in metrics.items():
                value = round(float(raw_value), 3)
                rows.append(
                    {
                        "brand_id": brand_index,
                        "metric": metric,
                        "scope": scope,
                        "period": period,
                        "period_start": start,
                        "value": value,
                        "source": SOURCE,
                        "content_hash": hashlib.sha256(repr(value).encode()).hexdigest(),
                        "raw": {"unit": "percent"},
                        "import_run_id": None,
                        "created_at": start,
                    }
                )
    return rows

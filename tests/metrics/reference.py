"""A pure-pandas reference for the metrics: the SQL path must agree with it exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from trustpulse.metrics.estimate import Estimate
from trustpulse.metrics.means import ces_estimate
from trustpulse.metrics.nps import nps_estimate
from trustpulse.metrics.proportions import csat_estimate


def add_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """day/week/month/quarter labels of each row's local time in its brand's zone (pandas)."""
    local = pd.Series(
        [t.tz_convert(z).tz_localize(None) for t, z in zip(frame["at"], frame["tz"], strict=True)],
        index=frame.index,
    )
    iso = local.dt.isocalendar()
    out = frame.copy()
    out["day"] = local.dt.strftime("%Y-%m-%d")
    out["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    out["month"] = local.dt.to_period("M").astype(str)
    out["quarter"] = local.dt.to_period("Q").astype(str)
    out["local_date"] = local.dt.date
    return out


def _groups(frame: pd.DataFrame, by: Sequence[str]) -> dict[tuple[str | None, ...], pd.DataFrame]:
    if not by:
        return {(): frame} if len(frame) else {}
    filled = frame.assign(**{d: frame[d].astype(object).where(frame[d].notna(), None) for d in by})
    return {
        tuple(_label(v) for v in k): g  # a list of keys gives tuple keys, even for one
        for k, g in filled.groupby(list(by), dropna=False)
    }


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def nps(frame: pd.DataFrame, by: Sequence[str]) -> dict[tuple[str | None, ...], Estimate]:
    rows = frame[frame["nps"].notna()]
    out = {}
    for key, g in _groups(rows, by).items():
        promoters = int((g["nps"] >= 9).sum())
        detractors = int((g["nps"] <= 6).sum())
        out[key] = nps_estimate(promoters, len(g) - promoters - detractors, detractors)
    return out


def csat(frame: pd.DataFrame, by: Sequence[str]) -> dict[tuple[str | None, ...], Estimate]:
    rows = frame[frame["csat"].notna()]
    return {
        key: csat_estimate(int((g["csat"] >= 4).sum()), len(g))
        for key, g in _groups(rows, by).items()
    }


def ces(frame: pd.DataFrame, by: Sequence[str]) -> dict[tuple[str | None, ...], Estimate]:
    rows = frame[frame["ces"].notna()]
    return {
        key: ces_estimate(
            len(g), float(g["ces"].sum()), float((g["ces"] ** 2).sum()), int((g["ces"] >= 5).sum())
        )
        for key, g in _groups(rows, by).items()
    }


def csi(
    frame: pd.DataFrame, by: Sequence[str], items: dict[str, tuple[float, float, float]]
) -> dict[tuple[str | None, ...], tuple[int, float]]:
    """{group: (customers, CSI)}; items: metric -> (weight, scale min, scale max)."""
    metrics = list(items)
    rows = frame[frame[metrics].notna().any(axis=1)]
    out = {}
    total = sum(w for w, _, _ in items.values())
    for key, g in _groups(rows, by).items():
        points = 0.0
        for metric, (weight, low, high) in items.items():
            points += weight / total * 100.0 * (g[metric].mean() - low) / (high - low)
        out[key] = (int(g["cluster"].nunique()), points)
    return out

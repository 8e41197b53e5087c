"""The trust index from a YAML tree: survey and KPI leaves, missing-leaf policies, defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import DEFAULTS_DIR, check_all
from trustpulse.customers.models import Brand
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.models import KpiMeasure
from trustpulse.metrics.query import Slice
from trustpulse.metrics.trust_index import load_trust_config

TREE = """
missing_leaf_policy: {policy}
dimensions:
  - code: quality
    name_en: Quality
    name_zh: 质量
    weight: 0.6
    leaves:
      - {{name: pq, source: survey, metric: tp_product_quality, bad: 0, good: 10}}
      - {{name: defects, source: kpi, metric: defect_rate, bad: 3.0, good: 0.0}}
  - code: service
    name_en: Service
    name_zh: 服务
    weight: 0.6
    leaves:
      - {{name: wait, source: survey, metric: tp_hotline_wait, bad: 0, good: 10}}
"""


def _settings(settings: Settings, tmp_path: Path, policy: str) -> Settings:
    (tmp_path / "trust_index.yaml").write_text(TREE.format(policy=policy), encoding="utf-8")
    return settings.model_copy(update={"config_dir": tmp_path})


def _kpi(session: Session, brand: str, period: str, value: float) -> None:
    brand_id = session.query(Brand.id).filter(Brand.code == brand).scalar()
    session.add(
        KpiMeasure(
            brand_id=brand_id,
            metric="defect_rate",
            scope="all",
            period=period,
            period_start=datetime(2026, 2, 28, 16, tzinfo=UTC),
            value=value,
            content_hash="h",
            raw={},
        )
    )
    session.flush()


def test_index_by_month_with_survey_and_kpi_leaves(
    session: Session, settings: Settings, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    _kpi(session, "acme", "2026-03", 1.5)  # 1.5 on bad 3 .. good 0 -> 50 points
    local = _settings(settings, tmp_path, "reweight")
    rows = compute_metric(
        session, "trust_index", settings=local, by=["month"], flt=Slice(brand="acme")
    )
    by_month = {r["group"]["month"]: r for r in rows}  # type: ignore[index]
    acme = surveys[surveys["brand"] == "acme"]
    for month, row in by_month.items():
        g = acme[acme["month"] == month]
        pq, wait = 10 * g["tp_product_quality"].mean(), 10 * g["tp_hotline_wait"].mean()
        quality = (pq + 50.0) / 2 if month == "2026-03" else pq
        # dimension weights 0.6 + 0.6 renormalised to 0.5 each (and the output says so)
        assert row["value"] == pytest.approx((quality + wait) / 2, abs=1e-9)
        assert row["dimensions"] == pytest.approx({"quality": quality, "service": wait})
        assert row["missing_leaves"] == ([] if month == "2026-03" else ["defects"])
        assert any("renormalised" in w for w in row["warnings"])  # type: ignore[attr-defined]
        assert row["ci_low"] <= row["value"] <= row["ci_high"]  # type: ignore[operator]
        intervals = row["dimension_intervals"]
        assert isinstance(intervals, dict)
        for code, value in (("quality", quality), ("service", wait)):
            assert intervals[code]["ci_low"] <= value <= intervals[code]["ci_high"]
            assert intervals[code]["ci_low"] < intervals[code]["ci_high"]
    assert "2026-03" in by_month


def test_incomplete_policy_leaves_the_index_empty_when_a_leaf_is_missing(
    session: Session, settings: Settings, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    _kpi(session, "acme", "2026-03", 1.5)
    local = _settings(settings, tmp_path, "incomplete")
    rows = compute_metric(
        session, "trust_index", settings=local, by=["month"], flt=Slice(brand="acme")
    )
    by_month = {r["group"]["month"]: r for r in rows}  # type: ignore[index]
    assert by_month["2026-03"]["value"] is not None
    assert by_month["2026-03"]["incomplete"] is False
    february = by_month["2026-02"]
    assert (february["value"], february["ci_low"], february["incomplete"]) == (None, None, True)
    assert february["dimensions"]["service"] is not None  # type: ignore[index]


def test_default_tree_has_five_dimensions_weighted_42_and_14_5(settings: Settings) -> None:
    config = load_trust_config(settings)
    weights = {d.code: d.weight for d in config.dimensions}
    assert weights["product_reliability"] == 0.42
    assert sorted(weights.values())[:4] == [0.145] * 4
    assert sum(weights.values()) == pytest.approx(1.0)
    assert (DEFAULTS_DIR / "trust_index.yaml").is_file()
    assert check_all(settings) == []


def test_default_tree_runs_on_survey_data(
    session: Session, settings: Settings, surveys: pd.DataFrame
) -> None:
    rows = compute_metric(session, "trust_index", settings=settings, by=["brand"])
    assert {r["group"]["brand"] for r in rows} == {"acme", "west"}  # type: ignore[index]
    for row in rows:
        assert 0.0 <= row["value"] <= 100.0  # type: ignore[operator]
        assert "dim_product_reliability" in row["missing_leaves"]  # type: ignore[operator]

"""Targets per metric and slice, lower-is-better targets and quarterly change targets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from trustpulse.config import Settings
from trustpulse.errors import ConfigError
from trustpulse.metrics.query import Slice
from trustpulse.metrics.targets import (
    SliceTarget,
    Target,
    TargetsConfig,
    attach_targets,
    load_targets,
)
from trustpulse.reports.targets import load_targets as report_targets


def _row(group: dict[str, str], value: float, low: float, high: float) -> dict[str, object]:
    return {"group": group, "n": 100, "value": value, "ci_low": low, "ci_high": high}


def test_quarterly_change_target_uses_the_interval_of_the_difference() -> None:
    config = TargetsConfig(
        slices=[SliceTarget(metric="trust_index", change={"period": "quarter", "min": 3, "max": 5})]
    )
    rows = [
        _row({"quarter": "2025Q4"}, 58.0, 57.0, 59.0),
        _row({"quarter": "2026Q1"}, 60.0, 58.0, 62.0),
        _row({"quarter": "2026Q2"}, 65.0, 63.0, 67.0),
    ]
    attach_targets(rows, metric="trust_index", flt=Slice(), config=config)
    first, second, third = rows
    assert first["change_target_status"] == "no_data"  # no 2025Q3 row
    # +2 +- sqrt(2^2 + 1^2): wholly below 3 only if high < 3 -> 2 + 2.236 = 4.24: at risk
    assert second["change"] == 2.0
    assert second["change_ci_high"] == pytest.approx(2 + math.sqrt(5))
    assert second["change_target_status"] == "at_risk"
    # +5 +- sqrt(8): low 2.17 < 3 -> at risk, not met
    assert third["change_ci_low"] == pytest.approx(5 - math.sqrt(8))
    assert third["change_target_status"] == "at_risk"
    assert third["change_target"] == {"min": 3.0, "max": 5.0, "per": "quarter"}


def test_most_specific_slice_target_wins_over_the_flat_one() -> None:
    config = TargetsConfig(
        targets={"nps": Target(target=30)},
        slices=[
            SliceTarget(metric="nps", where={"brand": "acme"}, at_least=40),
            SliceTarget(metric="nps", where={"brand": "acme", "channel": "email"}, at_least=65),
        ],
    )
    rows = [
        _row({"channel": "email"}, 50.0, 45.0, 55.0),
        _row({"channel": "sms"}, 50.0, 45.0, 55.0),
    ]
    attach_targets(rows, metric="nps", flt=Slice(brand="acme"), config=config)
    assert (rows[0]["target"], rows[0]["target_status"]) == ({"at_least": 65.0}, "missed")
    assert (rows[1]["target"], rows[1]["target_status"]) == ({"at_least": 40.0}, "met")
    other = [_row({}, 50.0, 45.0, 55.0)]
    attach_targets(other, metric="nps", flt=Slice(brand="west"), config=config)
    assert (other[0]["target"], other[0]["target_status"]) == (30.0, "met")


@pytest.mark.parametrize(("at_most", "status"), [(13, "met"), (9, "at_risk"), (7, "missed")])
def test_at_most_targets_for_lower_is_better(at_most: float, status: str) -> None:
    config = TargetsConfig(
        slices=[SliceTarget(metric="median_first_response_hours", at_most=at_most)]
    )
    rows = [_row({}, 10.0, 8.0, 12.0)]
    attach_targets(rows, metric="median_first_response_hours", flt=Slice(), config=config)
    assert rows[0]["target_status"] == status


def test_default_targets_load_for_metrics_and_reports(settings: Settings, tmp_path: Path) -> None:
    config = load_targets(settings)
    assert config.targets["nps"].target == 30
    assert [s.metric for s in config.slices] == ["complex_resolution_rate", "trust_index"]
    assert report_targets(settings).targets["csat"].target == 70
    (tmp_path / "targets.yaml").write_text(
        "slices:\n  - {metric: complex_resolution, at_least: 0.9}\n", encoding="utf-8"
    )
    local = settings.model_copy(update={"config_dir": tmp_path})
    with pytest.raises(ConfigError, match=r"targets.yaml line 2: .*unknown metric"):
        load_targets(local)

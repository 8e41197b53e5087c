"""The target verdict takes the interval into account."""

from __future__ import annotations

import pytest

from trustpulse.config import Settings
from trustpulse.reports.targets import load_targets, target_status


@pytest.mark.parametrize(
    ("value", "low", "high", "status"),
    [
        (35.0, 31.0, 39.0, "met"),  # whole interval above 30
        (35.0, 30.0, 39.0, "met"),  # touching the target counts as met
        (33.0, 27.0, 39.0, "at_risk"),  # straddles: cannot tell
        (27.0, 21.0, 33.0, "at_risk"),  # below on the point, but the interval reaches it
        (25.0, 20.0, 29.9, "missed"),  # whole interval below
        (31.0, None, None, "met"),  # no interval: the value decides
        (None, None, None, "no_data"),
    ],
)
def test_status_against_target_30(
    value: float | None, low: float | None, high: float | None, status: str
) -> None:
    assert target_status(value, low, high, 30.0) == status


def test_brand_override_replaces_one_target(tmp_path: object) -> None:
    from pathlib import Path  # noqa: PLC0415

    home = Path(str(tmp_path))
    override = home / "config" / "brands" / "acme"
    override.mkdir(parents=True)
    (override / "targets.yaml").write_text("targets:\n  nps: {target: 45}\n", encoding="utf-8")
    settings = Settings(home=home)
    assert load_targets(settings, brand="acme").targets["nps"].target == 45
    assert load_targets(settings, brand="acme").targets["csat"].target == 70
    assert load_targets(settings).targets["nps"].target == 30

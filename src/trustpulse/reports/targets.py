"""Targets for trust metrics (targets.yaml) and the met / at-risk / missed verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trustpulse.config import Settings
from trustpulse.config_files import load_config

Status = Literal["met", "at_risk", "missed", "no_data"]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: float
    benchmark: float | None = None


class TargetsConfig(BaseModel):
    """targets.yaml: one target (and optional benchmark) per metric, in the metric's unit."""

    model_config = ConfigDict(extra="forbid")

    targets: dict[str, Target] = Field(default_factory=dict)


def load_targets(settings: Settings, *, brand: str | None = None) -> TargetsConfig:
    """Raises ConfigError (file, line, reason) for a bad targets.yaml."""
    return load_config("targets", TargetsConfig, settings=settings, brand=brand)


def target_status(
    value: float | None, ci_low: float | None, ci_high: float | None, target: float
) -> Status:
    """met: the interval lies at or above the target; missed: wholly below; else at risk.

    Without an interval (too few responses for one) the point value decides met or missed.
    """
    if value is None:
        return "no_data"
    low = value if ci_low is None else ci_low
    high = value if ci_high is None else ci_high
    if low >= target:
        return "met"
    if high < target:
        return "missed"
    return "at_risk"

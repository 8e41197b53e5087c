"""Targets (targets.yaml): flat per-metric targets, per-slice targets and change targets, and the
met / at-risk / missed verdict with the interval taken into account.

`targets` (metric -> target, benchmark) is read by the dashboard and the quarterly report as
before. `slices` adds targets per metric and slice (brand, channel), on any registered metric
(complaint KPIs included), either a level (`at_least` / `at_most`) or a change between
consecutive periods (`change: {period: quarter, min: 3, max: 5}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.metrics.benchmarks import gap_interval
from trustpulse.metrics.periods import PERIOD_DIMENSIONS
from trustpulse.metrics.query import Slice

Status = Literal["met", "at_risk", "missed", "no_data"]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: float
    benchmark: float | None = None


class ChangeTarget(BaseModel):
    """A gain from the previous period to this one, in the metric's unit (e.g. 3-5 points)."""

    model_config = ConfigDict(extra="forbid")

    period: Literal["month", "quarter"] = "quarter"
    min: float
    max: float | None = None


class SliceTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    where: dict[Literal["brand", "channel"], str] = Field(default_factory=dict)
    at_least: float | None = None
    at_most: float | None = None  # lower is better (hours, broken-promise rate ...)
    change: ChangeTarget | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SliceTarget:
        from trustpulse.metrics.registry import find_metric  # noqa: PLC0415

        kinds = [k for k in (self.at_least, self.at_most, self.change) if k is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of at_least, at_most or change")
        if find_metric(self.metric) is None:
            raise ValueError(f"unknown metric {self.metric!r}")
        return self


class TargetsConfig(BaseModel):
    """targets.yaml: flat targets (and optional benchmark) per metric, plus per-slice ones."""

    model_config = ConfigDict(extra="forbid")

    targets: dict[str, Target] = Field(default_factory=dict)
    slices: list[SliceTarget] = Field(default_factory=list)


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


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _matches(t: SliceTarget, group: dict[str, object], flt: Slice) -> bool:
    scope = {
        "brand": group.get("brand") or flt.brand,
        "channel": group.get("channel") or flt.channel,
    }
    return all(scope[k] == v for k, v in t.where.items())


def _previous(label: str, period: str) -> str:
    if period == "quarter":
        year, q = int(label[:4]), int(label[5])
        return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"
    year, month = int(label[:4]), int(label[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def attach_targets(
    rows: Sequence[dict[str, object]], *, metric: str, flt: Slice, config: TargetsConfig
) -> None:
    """Add `target` and `target_status` to rows a level target applies to: the most specific
    slice target (most `where` keys), else the flat one. A change target adds `change_target`,
    `change_target_status`, and `change` with its interval (MOVER) when the previous period's
    row is among `rows` (same other dimensions; e.g. --by quarter); else status no_data."""
    flat = config.targets.get(metric)
    for row in rows:
        group = row.get("group")
        group = group if isinstance(group, dict) else {}
        fitting = [t for t in config.slices if t.metric == metric and _matches(t, group, flt)]
        level = [t for t in fitting if t.change is None]
        best = max(level, key=lambda t: len(t.where), default=None)
        moves = [t for t in fitting if t.change is not None]
        move = max(moves, key=lambda t: len(t.where), default=None)
        value, low, high = (_num(row.get(k)) for k in ("value", "ci_low", "ci_high"))
        if move is not None and move.change is not None:
            _change(
                row, rows=rows, group=group, change=move.change, value=value, low=low, high=high
            )
        if best is None:
            if flat is not None:
                row["target"] = flat.target
                row["target_status"] = target_status(value, low, high, flat.target)
        elif best.at_least is not None:
            row["target"] = {"at_least": best.at_least}
            row["target_status"] = target_status(value, low, high, best.at_least)
        elif best.at_most is not None:
            row["target"] = {"at_most": best.at_most}
            flipped = target_status(
                None if value is None else -value,
                None if high is None else -high,
                None if low is None else -low,
                -best.at_most,
            )
            row["target_status"] = flipped


def _change(
    row: dict[str, object],
    *,
    rows: Sequence[dict[str, object]],
    group: dict[str, object],
    change: ChangeTarget,
    value: float | None,
    low: float | None,
    high: float | None,
) -> None:
    row["change_target"] = {"min": change.min, "max": change.max, "per": change.period}
    label = group.get(change.period)
    others = {k: v for k, v in group.items() if k not in PERIOD_DIMENSIONS}
    before = None
    if isinstance(label, str):
        wanted = _previous(label, change.period)
        before = next(
            (
                r
                for r in rows
                if isinstance(g := r.get("group"), dict)
                and g.get(change.period) == wanted
                and {k: v for k, v in g.items() if k not in PERIOD_DIMENSIONS} == others
            ),
            None,
        )
    previous = _num(before.get("value")) if before is not None else None
    if value is None or previous is None or before is None:
        row["change_target_status"] = "no_data"
        return
    diff, diff_low, diff_high = gap_interval(
        (value, low, high), (previous, _num(before.get("ci_low")), _num(before.get("ci_high")))
    )
    row["change"], row["change_ci_low"], row["change_ci_high"] = diff, diff_low, diff_high
    row["change_target_status"] = target_status(diff, diff_low, diff_high, change.min)

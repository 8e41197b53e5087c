"""Targets for trust metrics (targets.yaml) and the met / at-risk / missed verdict."""

from __future__ import annotations

# The model and verdict moved to metrics/targets.py (per-slice and change targets, issue #4);
# these names stay importable from here for the dashboard and the report.
from trustpulse.metrics.targets import (
    Status,
    Target,
    TargetsConfig,
    load_targets,
    target_status,
)

__all__ = ["Status", "Target", "TargetsConfig", "load_targets", "target_status"]

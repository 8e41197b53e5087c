"""The three-level indicator tree (indicator_tree.yaml): every node's raw value and score.

A node with a metric shows the metric's raw value in its unit, its n and interval, and `points`
(the value normalised to 0-100). A node with children shows `children_score`: the weighted mean
of its children's scores. A node's `score` (what its parent weighs) is its own points when it
has a metric, else its children_score. Missing children (no value in the slice) follow
`missing_child_policy`: reweight the children present, or leave the parent's children_score
empty (`incomplete`); either way `missing_children` names them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.metrics.query import Slice
from trustpulse.metrics.registry import compute_registered, find_metric
from trustpulse.metrics.schemas import IndicatorTreeConfig, _TreeNode
from trustpulse.metrics.targets import attach_targets, load_targets


def load_tree_config(settings: Settings, *, brand: str | None = None) -> IndicatorTreeConfig:
    return load_config("indicator_tree", IndicatorTreeConfig, settings=settings, brand=brand)


def indicator_tree(
    session: Session,
    *,
    settings: Settings,
    brand: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    """Every node, parents before their children: level, code, name, metric, unit, value, n,
    ci_low, ci_high, points, children_score, score, missing_children, parent; target and
    target_status where targets.yaml sets a level target for the node's metric."""
    config = load_tree_config(settings, brand=brand)
    flt = Slice(brand=brand, since=since, until=until)
    targets = load_targets(settings, brand=brand)
    rows: list[dict[str, object]] = []

    def visit(node: _TreeNode, level: int, parent: str | None) -> float | None:
        row: dict[str, object] = {
            "level": level,
            "code": node.code,
            "name": node.name_en,
            "name_zh": node.name_zh,
            "parent": parent,
            "weight": node.weight,
            "metric": node.metric,
            "unit": None,
            "value": None,
            "n": None,
            "ci_low": None,
            "ci_high": None,
            "points": None,
        }
        rows.append(row)
        points = None
        if node.metric is not None:
            registered = find_metric(node.metric)
            value = compute_registered(
                session, node.metric, settings=settings, flt=flt, where=node.filter
            )
            points = None if value.value is None else node.to_points(value.value)
            row.update(
                unit=registered.unit if registered else None,
                value=value.value,
                n=value.n,
                ci_low=value.ci_low,
                ci_high=value.ci_high,
                points=points,
            )
            attach_targets([row], metric=node.metric, flt=flt, config=targets)
        children = node.children_of()
        children_score = None
        if children:
            scores = [visit(c, level + 1, node.code) for c in children]
            missing = [c.code for c, s in zip(children, scores, strict=True) if s is None]
            present = [
                (c.weight, s) for c, s in zip(children, scores, strict=True) if s is not None
            ]
            weight = sum(w for w, _s in present)
            if present and not (missing and config.missing_child_policy == "incomplete"):
                children_score = sum(w * s for w, s in present) / weight
            row.update(children_score=children_score, missing_children=missing)
        score = points if node.metric is not None else children_score
        row["score"] = score
        return score

    for top in config.indicators:
        visit(top, 1, None)
    return rows

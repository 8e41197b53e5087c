"""Improvement actions: records, priority (impact x cost-effectiveness) and before/after checks.

Priority (actions.yaml): cost-effectiveness = expected gain (points of the linked metric) per
`cost_unit` (10,000) of cost, divided by the largest among the brand's open actions so it runs
0-1; priority = impact (0-10) x that. Impact above `act_now_min_impact` (7) is "act now".

Verification compares a metric in a window before with a window after (inclusive local dates):
NPS by the NPS difference test (nps.nps_difference), CSAT by the two-proportion z-test
(proportions.two_proportion_test), any other score (times such as resolution hours: lower is
better) by Mann-Whitney U (scipy) with the difference of medians and a bootstrap interval.
Fewer than min_n responses in either window gives the verdict "too few responses".
Complaint metrics (median_first_response_hours, median_resolution_hours, followup_csat) are
verified on the complaints opened in each window (complaint_checks.py), and an action with a
root cause also reports that cause's recurrence per 1,000 customers before vs after.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type stubs
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.complaint_checks import (
    COMPLAINT_METRICS,
    compare_means,
    complaint_values,
    recurrence,
)
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.nps import nps_difference
from trustpulse.metrics.proportions import two_proportion_test
from trustpulse.metrics.query import Slice, brands_in_scope, filter_clauses
from trustpulse.metrics.rollup_models import ImprovementAction
from trustpulse.metrics.schemas import ActionsConfig

STATUSES = ("open", "in_progress", "done", "cancelled")


def load_actions_config(settings: Settings, *, brand: str | None = None) -> ActionsConfig:
    return load_config("actions", ActionsConfig, settings=settings, brand=brand)


def create_action(session: Session, *, brand: str, **fields: Any) -> ImprovementAction:
    """Record an action; raises InvalidInputError for impact outside 0-10, negative cost or an
    unknown status, NotFoundError for an unknown brand."""
    if not 0 <= float(fields.get("impact", -1)) <= 10:
        raise InvalidInputError("impact must be between 0 and 10", field="impact")
    if float(fields.get("cost", -1)) < 0:
        raise InvalidInputError("cost must be >= 0", field="cost")
    if fields.get("status", "open") not in STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}", field="status")
    action = ImprovementAction(brand_id=customers.get_brand(session, brand).id, **fields)
    session.add(action)
    session.flush()
    return action


def get_action(session: Session, action_id: int) -> ImprovementAction:
    action = session.get(ImprovementAction, action_id)
    if action is None:
        raise NotFoundError(f"no improvement action {action_id}", id=action_id)
    return action


def list_actions(
    session: Session, *, settings: Settings, brand: str | None = None
) -> list[dict[str, object]]:
    """Actions with cost-effectiveness, priority and the act-now flag, highest priority first."""
    brands = brands_in_scope(session, Slice(brand=brand))
    codes = {b.id: b.code for b in brands}
    actions = session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.brand_id.in_(list(codes)))
        .order_by(ImprovementAction.id)
    ).all()
    rows = []
    for code in sorted(set(codes.values())):
        config = load_actions_config(settings, brand=code)
        mine = [a for a in actions if codes[a.brand_id] == code]

        def effectiveness(a: ImprovementAction, unit: float = config.cost_unit) -> float:
            return a.expected_gain / a.cost * unit if a.cost > 0 else float("inf")

        open_values = [effectiveness(a) for a in mine if a.status in {"open", "in_progress"}]
        finite = [v for v in open_values if v != float("inf")]
        top = max(finite, default=0.0)
        for a in mine:
            ce = effectiveness(a)
            scaled = 1.0 if ce == float("inf") else (ce / top if top > 0 else 0.0)
            scaled = min(max(scaled, 0.0), 1.0)
            rows.append(
                {
                    "id": a.id,
                    "brand": code,
                    "problem": a.problem,
                    "metric": a.metric,
                    "root_cause": a.root_cause,
                    "owner": a.owner,
                    "status": a.status,
                    "impact": a.impact,
                    "cost": a.cost,
                    "expected_gain": a.expected_gain,
                    "cost_effectiveness": None if ce == float("inf") else ce,
                    "cost_effectiveness_scaled": scaled,
                    "priority": a.impact * scaled,
                    "act_now": a.impact > config.act_now_min_impact,
                    "start_date": a.start_date.isoformat() if a.start_date else None,
                    "done_date": a.done_date.isoformat() if a.done_date else None,
                }
            )
    return sorted(rows, key=lambda r: (-float(str(r["priority"])), int(str(r["id"]))))


def _verdict(n: tuple[int, int], min_n: int, effect: float, p: float, alpha: float) -> str:
    if min(n) < min_n:
        return "too few responses"
    if p >= alpha:
        return "no detectable change"
    return "improved" if effect > 0 else "worse"


def verify_metric(
    session: Session,
    *,
    settings: Settings,
    brand: str,
    metric: str,
    before: tuple[date, date],
    after: tuple[date, date],
    lower_is_better: bool = False,
) -> dict[str, object]:
    """after - before for one brand's metric, with interval, p-value and a plain verdict.

    Effects: NPS in points, CSAT in points (a share difference x 100), other scores in their unit
    (difference of medians; sign flipped when lower_is_better, so positive always = better).
    Complaint metrics (COMPLAINT_METRICS) use the complaints opened in each window, and their own
    direction (times: lower is better) whatever lower_is_better says; followup_csat compares
    means (Welch t). n_before / n_after then count cases (follow-up answers for followup_csat).
    """
    config = load_actions_config(settings, brand=brand)
    windows = {"before": before, "after": after}
    out: dict[str, object] = {"brand": brand, "metric": metric}
    out |= {k: [v[0].isoformat(), v[1].isoformat()] for k, v in windows.items()}
    if metric in {"nps", "csat"}:
        parts = {
            k: compute_metric(
                session, metric, settings=settings, flt=Slice(brand=brand, since=s, until=u)
            )
            for k, (s, u) in windows.items()
        }
        got = {k: (v[0] if v else {"n": 0}) for k, v in parts.items()}
        n = (int(str(got["before"]["n"])), int(str(got["after"]["n"])))
        if min(n) == 0:
            return out | {"n_before": n[0], "n_after": n[1], "verdict": "too few responses"}
        if metric == "nps":
            a, b = (
                tuple(int(str(got[k][c])) for c in ("promoters", "passives", "detractors"))
                for k in ("after", "before")
            )
            d = nps_difference(a, b)  # type: ignore[arg-type]  # three ints each
            effect, low, high, p = d.difference, d.ci_low, d.ci_high, d.p_value
            test = "NPS difference (Wald z, adjusted-Wald interval)"
        else:
            sat = {k: int(str(got[k]["satisfied"])) for k in got}
            t = two_proportion_test(sat["after"], n[1], sat["before"], n[0])
            effect, low, high, p = 100 * t.difference, 100 * t.ci_low, 100 * t.ci_high, t.p_value
            test = "two-proportion z (Newcombe interval)"
    elif metric in COMPLAINT_METRICS:
        brand_row = brands_in_scope(session, Slice(brand=brand))[0]
        values = {k: complaint_values(session, brand_row, metric, w) for k, w in windows.items()}
        n = (len(values["before"]), len(values["after"]))
        lower_is_better = COMPLAINT_METRICS[metric]
        out["lower_is_better"] = lower_is_better
        if min(n) < 2:
            return out | {"n_before": n[0], "n_after": n[1], "verdict": "too few responses"}
        if metric == "followup_csat":
            found = compare_means(values["before"], values["after"])
            effect = float(str(found["effect"]))
            return out | found | {
                "n_before": n[0],
                "n_after": n[1],
                "verdict": _verdict(n, config.min_n, effect, float(str(found["p_value"])),
                                    config.alpha),
            }  # fmt: skip
        sign = -1.0
        p = float(stats.mannwhitneyu(values["after"], values["before"]).pvalue)
        effect = sign * float(np.median(values["after"]) - np.median(values["before"]))
        low, high = _median_interval(values, sign)
        test = "Mann-Whitney U (difference of medians, bootstrap interval)"
        out |= {
            "before_value": float(np.median(values["before"])),
            "after_value": float(np.median(values["after"])),
        }
    else:
        values = {k: _values(session, brand, metric, s, u) for k, (s, u) in windows.items()}
        n = (len(values["before"]), len(values["after"]))
        if min(n) < 2:
            return out | {"n_before": n[0], "n_after": n[1], "verdict": "too few responses"}
        sign = -1.0 if lower_is_better else 1.0
        p = float(stats.mannwhitneyu(values["after"], values["before"]).pvalue)
        effect = sign * float(np.median(values["after"]) - np.median(values["before"]))
        low, high = _median_interval(values, sign)
        test = "Mann-Whitney U (difference of medians, bootstrap interval)"
    return out | {
        "n_before": n[0],
        "n_after": n[1],
        "test": test,
        "effect": effect,
        "ci_low": low,
        "ci_high": high,
        "p_value": p,
        "verdict": _verdict(n, config.min_n, effect, p, config.alpha),
    }


def _median_interval(values: dict[str, list[float]], sign: float) -> tuple[float, float]:
    """Bootstrap 95 % interval of sign x (median after - median before)."""
    rng = np.random.default_rng(0)
    before, after = values["before"], values["after"]
    boot = [
        sign
        * float(
            np.median(rng.choice(after, len(after))) - np.median(rng.choice(before, len(before)))
        )
        for _ in range(1000)
    ]
    low, high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return low, high


def _values(session: Session, brand: str, metric: str, since: date, until: date) -> list[float]:
    flt = Slice(brand=brand, since=since, until=until)
    where = filter_clauses(flt, brands_in_scope(session, flt))
    stmt = (
        select(Score.value)
        .join(Feedback, Feedback.id == Score.feedback_id)
        .where(Score.metric == metric, *where)
    )
    return [float(v) for v in session.scalars(stmt)]


def verify_action(
    session: Session,
    action_id: int,
    *,
    settings: Settings,
    before: tuple[date, date],
    after: tuple[date, date],
    lower_is_better: bool = False,
) -> dict[str, object]:
    """verify_metric for an action's linked metric and brand, plus `recurrence` of its root cause
    (complaint_checks.recurrence) when it has one; NotFoundError if no such action."""
    action = get_action(session, action_id)
    code = session.get_one(Brand, action.brand_id).code
    result = verify_metric(
        session,
        settings=settings,
        brand=code,
        metric=action.metric,
        before=before,
        after=after,
        lower_is_better=lower_is_better,
    )
    if action.root_cause:
        result["recurrence"] = recurrence(
            session,
            brand=session.get_one(Brand, action.brand_id),
            root_cause=action.root_cause,
            before=before,
            after=after,
            alpha=load_actions_config(settings, brand=code).alpha,
        )
    return {"action_id": action_id, **result}

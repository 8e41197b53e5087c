"""Improvement actions as the dashboard shows them: by priority, with before/after verdicts.

Priority, cost-effectiveness and the act-now flag come from metrics.actions.list_actions. A done
action is verified with metrics.actions.verify_action over two windows of WINDOW_DAYS each:
before = the days before the action started (its done date when it has no start date), after =
the days after it was done. While the after window is still running there is no verdict yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.metrics import cache
from trustpulse.metrics.actions import list_actions, verify_action
from trustpulse.metrics.rollup_models import ImprovementAction
from trustpulse.web.i18n import N_

WINDOW_DAYS = 30  # default before/after window of a verdict (issue #6), each side
STATUS_LABELS = {
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
VERDICT_LABELS = {
    "improved": N_("improved"),
    "worse": N_("worse"),
    "no detectable change": N_("no detectable change"),
    "too few responses": N_("too few responses"),
    "pending": N_("after window still running"),
}
VERDICT_CLASSES = {"improved": "met", "worse": "missed", "no detectable change": "at_risk"}


@dataclass(frozen=True)
class Verdict:
    before: tuple[date, date]
    after: tuple[date, date]
    verdict: str  # improved / worse / no detectable change / too few responses / pending
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_before: int | None = None
    n_after: int | None = None
    test: str | None = None


@dataclass(frozen=True)
class ActionRow:
    id: int
    problem: str
    metric: str
    root_cause: str | None
    owner: str | None
    status: str
    impact: float
    cost: float
    expected_gain: float
    cost_effectiveness: float | None  # points per cost unit; None when the action costs nothing
    priority: float
    act_now: bool
    start_date: date | None
    due_date: date | None
    done_date: date | None
    verdict: Verdict | None


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def windows(
    start: date | None, done: date, *, days: int = WINDOW_DAYS
) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after) inclusive local-date windows around an action."""
    first = start or done
    return (
        (first - timedelta(days=days), first - timedelta(days=1)),
        (done + timedelta(days=1), done + timedelta(days=days)),
    )


def _verdict(
    session: Session, settings: Settings, row: dict[str, object], today: date
) -> Verdict | None:
    done = _day(row["done_date"])
    if row["status"] != "done" or done is None:
        return None
    before, after = windows(_day(row["start_date"]), done)
    if after[1] >= today:
        return Verdict(before, after, "pending")
    # Cached under what the test reads: the action's brand, metric and root cause (an edit of
    # the action changes the key, though the watermark cannot see actions), the windows, the
    # configuration and, through the watermark, feedback, scores and complaints.
    brand = str(row["brand"])
    key = (
        "verify_action",
        int(str(row["id"])),
        brand,
        row["metric"],
        row.get("root_cause"),
        before,
        after,
        cache.config_stamp(settings, brand=brand, names=("actions", "metrics", "trust_index")),
    )
    result = cache.cached(
        session,
        key,
        lambda: verify_action(
            session, int(str(row["id"])), settings=settings, before=before, after=after
        ),
    )
    n_before, n_after = result.get("n_before"), result.get("n_after")
    test = result.get("test")
    return Verdict(
        before,
        after,
        str(result["verdict"]),
        effect=_float(result.get("effect")),
        ci_low=_float(result.get("ci_low")),
        ci_high=_float(result.get("ci_high")),
        p_value=_float(result.get("p_value")),
        n_before=n_before if isinstance(n_before, int) else None,
        n_after=n_after if isinstance(n_after, int) else None,
        test=test if isinstance(test, str) else None,
    )


def improvement_rows(session: Session, *, settings: Settings, brand: str) -> list[ActionRow]:
    """The brand's actions, highest priority first, each done one with its verdict.

    Raises NotFoundError for a brand the caller may not see.
    """
    brand_row = customers.get_brand(session, brand)
    today = utcnow().astimezone(ZoneInfo(brand_row.timezone)).date()
    rows = list_actions(session, settings=settings, brand=brand)
    due: dict[int, date | None] = {
        row[0]: row[1]
        for row in session.execute(
            select(ImprovementAction.id, ImprovementAction.due_date).where(
                ImprovementAction.brand_id == brand_row.id
            )
        )
    }
    out = []
    for row in rows:
        action_id = int(str(row["id"]))
        out.append(
            ActionRow(
                id=action_id,
                problem=str(row["problem"]),
                metric=str(row["metric"]),
                root_cause=str(row["root_cause"]) if row.get("root_cause") else None,
                owner=str(row["owner"]) if row.get("owner") else None,
                status=str(row["status"]),
                impact=float(str(row["impact"])),
                cost=float(str(row["cost"])),
                expected_gain=float(str(row["expected_gain"])),
                cost_effectiveness=_float(row.get("cost_effectiveness")),
                priority=float(str(row["priority"])),
                act_now=bool(row["act_now"]),
                start_date=_day(row.get("start_date")),
                due_date=due.get(action_id),
                done_date=_day(row.get("done_date")),
                verdict=_verdict(session, settings, row, today),
            )
        )
    return out

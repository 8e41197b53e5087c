"""Complaint metrics by month, team or category: SLA attainment, FCR, reopen rate, times.

Rates and attainment are fractions 0–1 (None when nothing counts), times are wall-clock hours.
Attainment counts targets that are decided: met (fulfilled by the deadline) or breached.
First-contact resolution: resolved with at most one agent reply and never reopened.
Months are cut in the brand's time zone.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team
from trustpulse.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSlaTarget,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.schemas import ComplaintMetrics
from trustpulse.customers import service as customers

GroupBy = Literal["month", "team", "category"]


@dataclass
class _Group:
    n: int = 0
    resolved: int = 0
    reopened: int = 0
    fcr: int = 0
    met: dict[SlaTarget, list[bool]] = field(default_factory=lambda: defaultdict(list))
    first_response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)


def complaint_metrics(
    session: Session, *, brand: str, now: datetime, by: GroupBy = "month"
) -> list[ComplaintMetrics]:
    """One row per group; a running clock past its deadline at `now` counts as breached."""
    brand_row = customers.get_brand(session, brand)
    zone = ZoneInfo(brand_row.timezone)
    complaints = list(session.scalars(select(Complaint).where(Complaint.brand_id == brand_row.id)))
    teams = {t.id: t.name for t in session.scalars(select(Team))}
    agent_replies = _agent_replies(session, brand_row.id)
    decided = _decided_targets(session, brand_row.id, now)
    groups: dict[str, _Group] = defaultdict(_Group)
    for c in complaints:
        if by == "month":
            key = c.opened_at.astimezone(zone).strftime("%Y-%m")
        elif by == "team":
            key = teams.get(c.team_id, "(none)") if c.team_id is not None else "(none)"
        else:
            key = c.category or "(none)"
        g = groups[key]
        g.n += 1
        ever_reopened = c.reopen_count > 0
        g.reopened += ever_reopened
        if c.first_response_at is not None:
            g.first_response_hours.append(_hours(c.first_response_at - c.opened_at))
        if c.resolved_at is not None:
            g.resolved += 1
            g.resolution_hours.append(_hours(c.resolved_at - c.opened_at))
            g.fcr += agent_replies.get(c.id, 0) <= 1 and not ever_reopened
        for target, met in decided.get(c.id, []):
            g.met[target].append(met)
    return [_row(key, g) for key, g in sorted(groups.items())]


def _agent_replies(session: Session, brand_id: int) -> dict[int, int]:
    rows = session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.data)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.brand_id == brand_id, ComplaintEvent.kind == "replied")
    )
    counts: dict[int, int] = defaultdict(int)
    for complaint_id, data in rows:
        if data.get("author") == "agent":
            counts[complaint_id] += 1
    return counts


def _decided_targets(
    session: Session, brand_id: int, now: datetime
) -> dict[int, list[tuple[SlaTarget, bool]]]:
    t = ComplaintSlaTarget
    rows = session.execute(
        select(t.complaint_id, t.target, t.breached_at, t.due_at, t.status)
        .join(Complaint, Complaint.id == t.complaint_id)
        .where(Complaint.brand_id == brand_id)
    )
    out: dict[int, list[tuple[SlaTarget, bool]]] = defaultdict(list)
    for complaint_id, target, breached_at, due_at, status in rows:
        if breached_at is not None or (
            status == SlaStatus.active and due_at is not None and due_at <= now
        ):
            out[complaint_id].append((target, False))
        elif status == SlaStatus.fulfilled:
            out[complaint_id].append((target, True))
    return out


def _row(key: str, g: _Group) -> ComplaintMetrics:
    return ComplaintMetrics(
        group=key,
        n=g.n,
        resolved=g.resolved,
        first_response_attainment=_share(g.met[SlaTarget.first_response]),
        resolution_attainment=_share(g.met[SlaTarget.resolution]),
        fcr_rate=g.fcr / g.resolved if g.resolved else None,
        reopen_rate=g.reopened / g.resolved if g.resolved else None,
        median_first_response_hours=_median(g.first_response_hours),
        median_resolution_hours=_median(g.resolution_hours),
        p90_resolution_hours=percentile(g.resolution_hours, 0.9),
    )


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

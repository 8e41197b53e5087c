"""Complaint metrics by month, team, category, agent, channel or severity.

Rates and attainment are fractions 0–1 (None when nothing counts), times are hours: wall-clock
unless named `business_` (working time of the case's resolution clock; needs settings).
Attainment counts targets that are decided: met (fulfilled by the deadline) or breached.
First-contact resolution: resolved with exactly one agent reply and never reopened, among
resolved cases where it is known (an agent reply logged, or reopened; an imported export
carries no replies, so its FCR is None rather than a flattering 1.0). Reopen rate: cases ever
reopened / cases ever resolved (a reopened case that is open again still counts as resolved
once, so the rate stays within 0–1).
Complex-case resolution rate: complex cases resolved / complex cases. Broken-promise rate:
broken / settled promises. Backlog: cases still open at `now`, with their median age. Loop
closure time: opened → loop closed. Follow-up CSAT: mean CSAT (1–5) of follow-up answers.
Fixable share ("complaints we can fix", issue #5): cases whose responsibility is ours / cases
whose responsibility is known, where a case's responsibility is its resolved attribution, else
(unattributed, or attributed `unknown`) its hint from the brand's active hint model
(complaints/hints.py; counted only with settings and a hint model configured);
`responsibility_hinted` says how many of the known ones are hints, not decisions.
Months are cut in the brand's time zone.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team, User
from trustpulse.complaints.calendar import AROUND_THE_CLOCK, WorkClock
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.hints import hinted_responsibilities
from trustpulse.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPromise,
    ComplaintSlaTarget,
    ComplaintSurveyInvitation,
    PromiseStatus,
    Responsibility,
    ServiceCredit,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.schemas import ComplaintMetrics
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.feedback.models import Score

GroupBy = Literal["month", "team", "category", "agent", "channel", "severity", "all"]
_OPEN = frozenset({"new", "acknowledged", "in_progress", "waiting_on_customer"})
_COLUMNS = (
    Complaint.id,
    Complaint.opened_at,
    Complaint.first_response_at,
    Complaint.resolved_at,
    Complaint.loop_closed_at,
    Complaint.reopen_count,
    Complaint.is_complex,
    Complaint.state,
    Complaint.team_id,
    Complaint.owner_id,
    Complaint.channel,
    Complaint.severity,
    Complaint.category,
    Complaint.responsibility,
)


@dataclass
class _Group:
    n: int = 0
    resolved: int = 0
    ever_resolved: int = 0
    reopened: int = 0
    fcr: int = 0
    fcr_known: int = 0
    met: dict[SlaTarget, list[bool]] = field(default_factory=lambda: defaultdict(list))
    first_response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)
    business_resolution_hours: list[float] = field(default_factory=list)
    complex_total: int = 0
    complex_resolved: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    backlog_ages: list[float] = field(default_factory=list)
    loop_hours: list[float] = field(default_factory=list)
    followup_csat: list[float] = field(default_factory=list)
    credits: float = 0.0
    fixable: int = 0
    responsibility_known: int = 0
    responsibility_hinted: int = 0


def complaint_metrics_between(
    session: Session,
    *,
    brand: str,
    now: datetime,
    by: GroupBy = "month",
    settings: Settings | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ComplaintMetrics]:
    """`complaint_metrics` of the cases opened between two inclusive dates of the brand's zone."""
    zone = ZoneInfo(customers.get_brand(session, brand).timezone)

    def midnight(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), tzinfo=zone)

    end = None if until is None else until + timedelta(days=1)
    return complaint_metrics(
        session,
        brand=brand,
        now=now,
        by=by,
        settings=settings,
        opened=(midnight(since), midnight(end)),
    )


def complaint_metrics(
    session: Session,
    *,
    brand: str,
    now: datetime,
    by: GroupBy = "month",
    settings: Settings | None = None,
    opened: tuple[datetime | None, datetime | None] = (None, None),
) -> list[ComplaintMetrics]:
    """One row per group; a running clock past its deadline at `now` counts as breached.

    `opened`: only complaints opened in [start, end) (None: unbounded); by "all": one row.
    """
    brand_row = customers.get_brand(session, brand)
    zone = ZoneInfo(brand_row.timezone)
    chosen = [Complaint.brand_id == brand_row.id]
    if opened[0] is not None:
        chosen.append(Complaint.opened_at >= opened[0])
    if opened[1] is not None:
        chosen.append(Complaint.opened_at < opened[1])
    # columns, not ORM objects: building 40k Complaint instances cost most of this function
    complaints = session.execute(select(*_COLUMNS).where(*chosen)).all()
    # the facts below are read for the chosen complaints only: a quarter's KPIs read that
    # quarter's events and clocks, not the brand's whole history once per period
    cases = select(Complaint.id).where(*chosen)
    teams = {t.id: t.name for t in session.scalars(select(Team))}
    agents = {u.id: u.username for u in session.scalars(select(User))}
    agent_replies = _agent_replies(session, cases)
    decided = _decided_targets(session, cases, now)
    facts = _facts(session, cases)
    clocks = _resolution_clocks(session, cases, settings, brand)
    hinted = hinted_responsibilities(session, cases, brand=brand, settings=settings)
    groups: dict[str, _Group] = defaultdict(_Group)
    for c in complaints:
        g = groups["all" if by == "all" else _key(c, by, zone, teams, agents)]
        g.n += 1
        ever_reopened = c.reopen_count > 0
        g.reopened += ever_reopened
        g.ever_resolved += c.resolved_at is not None or ever_reopened
        g.complex_total += c.is_complex
        if c.first_response_at is not None:
            g.first_response_hours.append(_hours(c.first_response_at - c.opened_at))
        if c.resolved_at is not None:
            g.resolved += 1
            g.complex_resolved += c.is_complex
            g.resolution_hours.append(_hours(c.resolved_at - c.opened_at))
            replies = agent_replies.get(c.id, 0)
            g.fcr_known += replies >= 1 or ever_reopened  # reopened: known not to be FCR
            g.fcr += replies == 1 and not ever_reopened
            if (clock := clocks.get(c.id)) is not None:
                g.business_resolution_hours.append(
                    _hours(clock.elapsed(c.opened_at, c.resolved_at))
                )
        if c.state.value in _OPEN:
            g.backlog_ages.append(_hours(now - c.opened_at))
        if c.loop_closed_at is not None:
            g.loop_hours.append(_hours(c.loop_closed_at - c.opened_at))
        kept, broken = facts.promises.get(c.id, (0, 0))
        g.promises_kept += kept
        g.promises_broken += broken
        g.followup_csat += facts.csat.get(c.id, [])
        g.credits += facts.credits.get(c.id, 0.0)
        for target, met in decided.get(c.id, []):
            g.met[target].append(met)
        _count_responsibility(g, c, hinted)
    return [_row(key, g) for key, g in sorted(groups.items())]


def _count_responsibility(g: _Group, c: Any, hinted: dict[int, str]) -> None:
    """The attribution where an agent made one (not `unknown`), else the hint."""
    attributed = c.responsibility not in (None, Responsibility.unknown)
    party = c.responsibility.value if attributed else hinted.get(c.id)
    if party is not None:
        g.responsibility_known += 1
        g.responsibility_hinted += not attributed
        g.fixable += party == Responsibility.ours.value


def _key(
    c: Any,  # a row of _COLUMNS (its column types do not survive the select)
    by: GroupBy,
    zone: ZoneInfo,
    teams: dict[int, str],
    agents: dict[int, str],
) -> str:
    if by == "month":
        return str(c.opened_at.astimezone(zone).strftime("%Y-%m"))
    if by == "team":
        return teams.get(c.team_id, "(none)") if c.team_id is not None else "(none)"
    if by == "agent":
        return agents.get(c.owner_id, "(none)") if c.owner_id is not None else "(none)"
    if by == "channel":
        return str(c.channel)
    if by == "severity":
        return str(c.severity.value)
    return str(c.category or "(none)")


@dataclass
class _Facts:
    promises: dict[int, tuple[int, int]]  # complaint id → (kept, broken)
    csat: dict[int, list[float]]  # complaint id → follow-up CSAT answers
    credits: dict[int, float]  # complaint id → service credits (not exempt)


def _facts(session: Session, cases: Select[Any]) -> _Facts:
    mine = cases
    promises: dict[int, tuple[int, int]] = {}
    for row in session.execute(
        select(ComplaintPromise.complaint_id, ComplaintPromise.status).where(
            ComplaintPromise.complaint_id.in_(mine)
        )
    ):
        kept, broken = promises.get(row.complaint_id, (0, 0))
        promises[row.complaint_id] = (
            kept + (row.status == PromiseStatus.kept),
            broken + (row.status == PromiseStatus.broken),
        )
    csat: dict[int, list[float]] = defaultdict(list)
    for answer in session.execute(
        select(ComplaintSurveyInvitation.complaint_id, Score.value)
        .join(Score, Score.feedback_id == ComplaintSurveyInvitation.feedback_id)
        .where(ComplaintSurveyInvitation.complaint_id.in_(mine), Score.metric == "csat")
    ):
        csat[answer.complaint_id].append(answer.value)
    credits: dict[int, float] = defaultdict(float)
    for credit in session.execute(
        select(ServiceCredit.complaint_id, ServiceCredit.amount).where(
            ServiceCredit.complaint_id.in_(mine), ServiceCredit.force_majeure.is_(False)
        )
    ):
        credits[credit.complaint_id] += float(credit.amount)
    return _Facts(promises, csat, credits)


def _resolution_clocks(
    session: Session, cases: Select[Any], settings: Settings | None, brand: str
) -> dict[int, WorkClock]:
    """Each complaint's resolution clock (its calendar), for business-hour times."""
    if settings is None:
        return {}
    config = sla_config(settings, brand)
    out: dict[int, WorkClock] = {}
    rows = session.execute(
        select(ComplaintSlaTarget.complaint_id, ComplaintSlaTarget.calendar).where(
            ComplaintSlaTarget.complaint_id.in_(cases),
            ComplaintSlaTarget.target == SlaTarget.resolution,
        )
    )
    for row in rows:
        if row.calendar in config.calendars or row.calendar == AROUND_THE_CLOCK:
            out[row.complaint_id] = config.clock(row.calendar)
    return out


def _agent_replies(session: Session, cases: Select[Any]) -> dict[int, int]:
    rows = session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.data).where(
            ComplaintEvent.complaint_id.in_(cases), ComplaintEvent.kind == "replied"
        )
    )
    counts: dict[int, int] = defaultdict(int)
    for complaint_id, data in rows:
        if data.get("author") == "agent":
            counts[complaint_id] += 1
    return counts


def _decided_targets(
    session: Session, cases: Select[Any], now: datetime
) -> dict[int, list[tuple[SlaTarget, bool]]]:
    t = ComplaintSlaTarget
    rows = session.execute(
        select(t.complaint_id, t.target, t.breached_at, t.due_at, t.status).where(
            t.complaint_id.in_(cases)
        )
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
        next_reply_attainment=_share(g.met[SlaTarget.next_reply]),
        public_reply_attainment=_share(g.met[SlaTarget.public_reply]),
        fcr_rate=_ratio(g.fcr, g.fcr_known),
        reopen_rate=_ratio(g.reopened, g.ever_resolved),
        median_first_response_hours=_median(g.first_response_hours),
        median_resolution_hours=_median(g.resolution_hours),
        p90_resolution_hours=percentile(g.resolution_hours, 0.9),
        median_business_resolution_hours=_median(g.business_resolution_hours),
        p90_business_resolution_hours=percentile(g.business_resolution_hours, 0.9),
        complex_cases=g.complex_total,
        complex_resolution_rate=(g.complex_resolved / g.complex_total if g.complex_total else None),
        promises_settled=g.promises_kept + g.promises_broken,
        broken_promise_rate=_ratio(g.promises_broken, g.promises_kept + g.promises_broken),
        backlog=len(g.backlog_ages),
        median_backlog_age_hours=_median(g.backlog_ages),
        max_backlog_age_hours=max(g.backlog_ages) if g.backlog_ages else None,
        loops_closed=len(g.loop_hours),
        median_loop_closure_hours=_median(g.loop_hours),
        followup_answers=len(g.followup_csat),
        followup_csat=statistics.fmean(g.followup_csat) if g.followup_csat else None,
        service_credits=round(g.credits, 2),
        fixable=g.fixable,
        responsibility_known=g.responsibility_known,
        responsibility_hinted=g.responsibility_hinted,
        fixable_share=_ratio(g.fixable, g.responsibility_known),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


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

"""Complaint handling figures of one brand and period: volumes, response and resolution times.

Read from the complaints table (opened_at, first_response_at, resolved_at) and the SLA clocks
(complaint_sla_targets). Medians and percentiles come from raw rows, as ARCHITECTURE.md says;
periods are cut in the brand's time zone. Until the complaints issue ships its own read
functions, this is the one place the dashboard and the report read complaints from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from statistics import median, quantiles
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.complaints.models import (
    Complaint,
    ComplaintPromise,
    ComplaintSlaTarget,
    PromiseStatus,
)
from trustpulse.customers import service as customers
from trustpulse.metrics.periods import utc_range
from trustpulse.metrics.proportions import wilson_interval

HOUR = 3600.0


@dataclass(frozen=True)
class HandlingStats:
    """Complaints opened in the period and how they were handled (hours are wall-clock)."""

    opened: int = 0
    responded: int = 0
    resolved: int = 0
    share_resolved: float | None = None  # resolved / opened, 0-1
    response_median_h: float | None = None
    response_p90_h: float | None = None
    resolution_median_h: float | None = None
    resolution_p90_h: float | None = None
    sla_clocks: int = 0  # SLA clocks of these complaints (0 until clocks are recorded)
    sla_met: float | None = None  # share of finished clocks that never breached, 0-1
    sla_met_low: float | None = None  # its 95 % Wilson interval over the finished clocks
    sla_met_high: float | None = None
    by_severity: dict[str, int] = field(default_factory=dict)
    root_causes: list[tuple[str, int]] = field(default_factory=list)  # top 8, most frequent first
    compensated: int = 0
    compensation_total: Decimal = Decimal(0)
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # month: opened, resolved


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max((end - start).total_seconds() / HOUR, 0.0)


def _median_p90(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return median(values), quantiles(values, n=10, method="inclusive")[8]


def complaint_handling(
    session: Session,
    *,
    brand: str,
    since: date | None = None,
    until: date | None = None,
    channel: str | None = None,
) -> HandlingStats:
    """Handling figures for complaints opened since..until (inclusive local dates).

    Raises NotFoundError for a brand the caller may not see.
    """
    brand_row = customers.get_brand(session, brand)
    zone = ZoneInfo(brand_row.timezone)
    start, end = utc_range(since, until, brand_row.timezone)
    query = select(
        Complaint.id,
        Complaint.opened_at,
        Complaint.first_response_at,
        Complaint.resolved_at,
        Complaint.severity,
        Complaint.root_cause,
        Complaint.compensation_amount,
    ).where(Complaint.brand_id == brand_row.id)
    if start is not None:
        query = query.where(Complaint.opened_at >= start)
    if end is not None:
        query = query.where(Complaint.opened_at < end)
    if channel is not None:
        query = query.where(Complaint.channel == channel)
    rows = session.execute(query).all()
    if not rows:
        return HandlingStats()
    response = [h for r in rows if (h := _hours(r.opened_at, r.first_response_at)) is not None]
    resolution = [h for r in rows if (h := _hours(r.opened_at, r.resolved_at)) is not None]
    months: dict[str, dict[str, int]] = {}
    for r in rows:
        month = r.opened_at.astimezone(zone).strftime("%Y-%m")
        cell = months.setdefault(month, {"opened": 0, "resolved": 0})
        cell["opened"] += 1
        cell["resolved"] += r.resolved_at is not None
    compensations = [r.compensation_amount for r in rows if r.compensation_amount]
    sla_total, sla_met = _sla(session, [r.id for r in rows])
    sla_low, sla_high = (
        wilson_interval(round(sla_met * sla_total), sla_total)
        if sla_met is not None
        else (None, None)
    )
    response_median, response_p90 = _median_p90(response)
    resolution_median, resolution_p90 = _median_p90(resolution)
    return HandlingStats(
        opened=len(rows),
        responded=len(response),
        resolved=len(resolution),
        share_resolved=len(resolution) / len(rows),
        response_median_h=response_median,
        response_p90_h=response_p90,
        resolution_median_h=resolution_median,
        resolution_p90_h=resolution_p90,
        sla_clocks=sla_total,
        sla_met=sla_met,
        sla_met_low=sla_low,
        sla_met_high=sla_high,
        by_severity=dict(sorted(Counter(str(r.severity) for r in rows).items())),
        root_causes=Counter(r.root_cause for r in rows if r.root_cause).most_common(8),
        compensated=len(compensations),
        compensation_total=sum(compensations, Decimal(0)),
        by_month={m: months[m] for m in sorted(months)},
    )


def _sla(session: Session, complaint_ids: list[int]) -> tuple[int, float | None]:
    """(finished clocks, share never breached) over the complaints' SLA clocks."""
    total = met = 0
    for start in range(0, len(complaint_ids), 10_000):
        chunk = complaint_ids[start : start + 10_000]
        for fulfilled_at, breached_at in session.execute(
            select(ComplaintSlaTarget.fulfilled_at, ComplaintSlaTarget.breached_at).where(
                ComplaintSlaTarget.complaint_id.in_(chunk)
            )
        ):
            if fulfilled_at is None and breached_at is None:
                continue  # still running: not yet met or missed
            total += 1
            met += breached_at is None
    return total, (met / total if total else None)


@dataclass(frozen=True)
class PromiseStats:
    """Promises to complainants that fell due in a period: kept, broken, still open."""

    kept: int = 0
    broken: int = 0
    open: int = 0

    @property
    def share_kept(self) -> float | None:
        """Kept / (kept + broken), 0-1; None when no promise due in the period was settled."""
        settled = self.kept + self.broken
        return self.kept / settled if settled else None


def promise_counts(
    session: Session, *, brand: str, since: date | None = None, until: date | None = None
) -> PromiseStats:
    """The brand's complaint promises due since..until (inclusive local dates), by status.

    A promise counts in the period it was due, whenever it was made; an open one past its due
    time is broken by the SLA tick. Raises NotFoundError for a brand the caller may not see.
    """
    brand_row = customers.get_brand(session, brand)
    start, end = utc_range(since, until, brand_row.timezone)
    query = (
        select(ComplaintPromise.status, func.count())
        .join(Complaint, Complaint.id == ComplaintPromise.complaint_id)
        .where(Complaint.brand_id == brand_row.id)
        .group_by(ComplaintPromise.status)
    )
    if start is not None:
        query = query.where(ComplaintPromise.due_at >= start)
    if end is not None:
        query = query.where(ComplaintPromise.due_at < end)
    counts = {PromiseStatus(status): n for status, n in session.execute(query)}
    return PromiseStats(
        kept=counts.get(PromiseStatus.kept, 0),
        broken=counts.get(PromiseStatus.broken, 0),
        open=counts.get(PromiseStatus.open, 0),
    )

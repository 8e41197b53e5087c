"""The quarterly transparency report's figures: trust metrics vs last quarter, complaint handling,
improvements and commitments.

`quarterly_report(session, brand=..., quarter="2026Q3", settings=...)` gathers everything the
HTML/PDF rendering (reports/render.py) shows; it is a pure read and never commits. For a quarter
published on the transparency page the complaint figures are the latest published snapshot's
(as customers were told them), with its version, date and the reasons of its corrections; for
an unpublished quarter they are live and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback
from trustpulse.metrics.periods import period_bounds, period_label
from trustpulse.metrics.query import Slice
from trustpulse.reports import trust
from trustpulse.reports.complaints import (
    HandlingStats,
    PromiseStats,
    complaint_handling,
    promise_counts,
)
from trustpulse.reports.improvements import ActionRow, improvement_rows
from trustpulse.transparency.models import TransparencySnapshot

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def quarter_span(quarter: str) -> tuple[date, date]:
    """(first day, last day) of a quarter label such as 2026Q3; InvalidInputError otherwise."""
    if not _QUARTER.match(quarter):
        raise InvalidInputError(f"{quarter!r} is not a quarter like 2026Q3", field="quarter")
    start, end = period_bounds(quarter)
    return start, end - timedelta(days=1)


def previous_quarter(quarter: str) -> str:
    start, _end = quarter_span(quarter)
    return period_label(start - timedelta(days=1), "quarter")


def latest_quarter(session: Session, *, brand: str) -> str | None:
    """The quarter (brand zone) of the brand's most recent feedback, or None without feedback."""
    brand_row = customers.get_brand(session, brand)
    latest = session.scalar(
        select(func.max(Feedback.occurred_at)).where(Feedback.brand_id == brand_row.id)
    )
    if latest is None:
        return None
    return period_label(latest.astimezone(ZoneInfo(brand_row.timezone)).date(), "quarter")


@dataclass(frozen=True)
class Correction:
    version: int
    published_on: date  # brand time zone
    reason: str | None  # None for the first publication


@dataclass(frozen=True)
class PublishedFigures:
    """The latest published snapshot of the quarter (transparency/service.py's payload)."""

    version: int
    published_on: date  # brand time zone
    figures: list[dict[str, object]]  # code, value, unit, quarter, since, until, method
    root_causes: list[tuple[str, int]]
    complaints: int
    versions: list[Correction]  # every version, newest first


def published_figures(session: Session, brand: Brand, quarter: str) -> PublishedFigures | None:
    """The brand's latest published snapshot of the quarter, or None when never published."""
    history = list(
        session.scalars(
            select(TransparencySnapshot)
            .where(
                TransparencySnapshot.brand_id == brand.id,
                TransparencySnapshot.quarter == quarter,
            )
            .order_by(TransparencySnapshot.version.desc())
        )
    )
    if not history:
        return None
    zone = ZoneInfo(brand.timezone)
    latest, payload = history[0], history[0].figures
    return PublishedFigures(
        version=latest.version,
        published_on=latest.published_at.astimezone(zone).date(),
        figures=list(payload.get("figures") or []),
        root_causes=[(str(c), int(n)) for c, n in payload.get("root_causes") or []],
        complaints=int(payload.get("complaints") or 0),
        versions=[
            Correction(s.version, s.published_at.astimezone(zone).date(), s.reason) for s in history
        ],
    )


@dataclass(frozen=True)
class QuarterlyReport:
    brand: Brand
    quarter: str
    previous: str
    since: date
    until: date
    headlines: list[trust.Headline]
    monthly: dict[str, list[trust.Point]]  # metric -> the last four quarters by month
    handling: HandlingStats  # live
    handling_previous: HandlingStats  # live
    generated_at: datetime
    published: PublishedFigures | None = None  # None: the quarter is not published yet
    improved: list[ActionRow] = field(default_factory=list)  # done in the quarter, verdicts
    open_actions: list[ActionRow] = field(default_factory=list)  # not done yet, by priority
    promises: PromiseStats = field(default_factory=PromiseStats)  # due in the quarter


def quarterly_report(
    session: Session, *, brand: str, quarter: str, settings: Settings
) -> QuarterlyReport:
    """Raises NotFoundError for an unknown brand and InvalidInputError for a bad quarter."""
    brand_row = customers.get_brand(session, brand)
    since, until = quarter_span(quarter)
    previous = previous_quarter(quarter)
    previous_since, previous_until = quarter_span(previous)
    two = Slice(brand=brand, since=previous_since, until=until)
    headlines = []
    for metric in trust.HEADLINE_METRICS:
        quarters = trust.series(session, metric, settings=settings, flt=two, period="quarter")
        by_label = {p.period: p for p in quarters}
        chosen = [p for p in (by_label.get(previous), by_label.get(quarter)) if p is not None]
        if by_label.get(quarter) is None:
            chosen = []  # no figure this quarter: do not present last quarter's as current
        headlines.append(trust.headline(metric, chosen, settings=settings, brand=brand))
    first = quarter
    for _step in range(3):  # the quarter and the three before it
        first = previous_quarter(first)
    year = Slice(brand=brand, since=quarter_span(first)[0], until=until)
    monthly = {
        metric: trust.series(session, metric, settings=settings, flt=year, period="month")
        for metric in ("nps", "csat")
    }
    actions = improvement_rows(session, settings=settings, brand=brand)
    return QuarterlyReport(
        brand=brand_row,
        quarter=quarter,
        previous=previous,
        since=since,
        until=until,
        headlines=headlines,
        monthly=monthly,
        handling=complaint_handling(session, brand=brand, since=since, until=until),
        handling_previous=complaint_handling(
            session, brand=brand, since=previous_since, until=previous_until
        ),
        generated_at=utcnow(),
        published=published_figures(session, brand_row, quarter),
        improved=[
            a
            for a in actions
            if a.status == "done" and a.done_date is not None and since <= a.done_date <= until
        ],
        open_actions=[a for a in actions if a.status in {"open", "in_progress"}],
        promises=promise_counts(session, brand=brand, since=since, until=until),
    )

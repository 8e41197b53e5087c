"""Counts of feedback per channel and month, and row counts per entity (stats, first dashboard)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from trustpulse.complaints.models import Complaint
from trustpulse.customers.models import Brand, Customer
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.metrics.models import KpiMeasure


def _utc_hour_bucket(session: Session) -> ColumnElement[str]:
    # Hour buckets in UTC are exact for every zone with whole-hour offsets (Asia/Shanghai and
    # most others); the month is then cut in the brand's zone in Python.
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), Feedback.occurred_at)
        return func.to_char(utc, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", Feedback.occurred_at)


def count_by_channel_and_month(session: Session, *, brand: Brand) -> dict[str, dict[str, int]]:
    """{month 'YYYY-MM' (cut in the brand's time zone): {channel: count}}, months ascending."""
    bucket = _utc_hour_bucket(session).label("bucket")
    rows = session.execute(
        select(bucket, Feedback.channel, func.count())
        .where(Feedback.brand_id == brand.id)
        .group_by(bucket, Feedback.channel)
    )
    zone = ZoneInfo(brand.timezone)
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for hour, channel, count in rows:
        moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        table[moment.astimezone(zone).strftime("%Y-%m")][channel] += count
    return {month: dict(table[month]) for month in sorted(table)}


def count_entities(session: Session) -> dict[str, object]:
    """Row counts per entity: the shape `trustpulse stats --json` promises (issue #2)."""
    rows = session.execute(select(Feedback.kind, func.count()).group_by(Feedback.kind))
    by_kind: dict[str, int] = {row[0]: row[1] for row in rows}
    return {
        "brands": session.scalar(select(func.count()).select_from(Brand)) or 0,
        "customers": session.scalar(select(func.count()).select_from(Customer)) or 0,
        "feedback": {kind.value: int(by_kind.get(kind, 0)) for kind in FeedbackKind},
        "complaints": session.scalar(select(func.count()).select_from(Complaint)) or 0,
        "kpis": session.scalar(select(func.count()).select_from(KpiMeasure)) or 0,
    }

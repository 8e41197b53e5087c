"""Per-complaint samples for estimation: response and resolution hours, follow-up CSAT answers.

The definitions are the complaint domain's (complaints/kpis.py): hours are wall-clock, first
response = opened -> first_response_at, resolution = opened -> resolved_at, follow-up CSAT = the
CSAT scores (1-5) of the answered follow-up survey invitations of the case. A window selects the
complaints **opened** in [since, until] (inclusive local dates of the brand), as the complaint KPIs
do, so the medians of these samples equal `complaint_metrics(..., opened=...)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintSurveyInvitation
from trustpulse.customers.models import Brand
from trustpulse.feedback.models import Score
from trustpulse.metrics.periods import utc_range

FOLLOWUP_CSAT_METRIC = "csat"  # the score the follow-up survey asks (complaints/kpis.py)


@dataclass
class CaseSample:
    """One complaint: its brand code and the facts it contributes (None: not happened yet)."""

    complaint_id: int
    brand: str
    first_response_hours: float | None
    resolution_hours: float | None
    followup_csat: list[float] = field(default_factory=list)


def complaint_samples(
    session: Session,
    *,
    brands: Sequence[Brand],
    since: date | None = None,
    until: date | None = None,
    root_cause: str | None = None,
) -> list[CaseSample]:
    """The complaints of `brands` opened in the window (each brand's own zone), by id."""
    out: list[CaseSample] = []
    for brand in brands:
        start, end = utc_range(since, until, brand.timezone)
        query = select(
            Complaint.id, Complaint.opened_at, Complaint.first_response_at, Complaint.resolved_at
        ).where(Complaint.brand_id == brand.id)
        if start is not None:
            query = query.where(Complaint.opened_at >= start)
        if end is not None:
            query = query.where(Complaint.opened_at < end)
        if root_cause is not None:
            query = query.where(Complaint.root_cause == root_cause)
        rows = session.execute(query.order_by(Complaint.id)).all()
        answers = _followup_answers(session, [r.id for r in rows])
        out.extend(
            CaseSample(
                complaint_id=r.id,
                brand=brand.code,
                first_response_hours=_hours(r.opened_at, r.first_response_at),
                resolution_hours=_hours(r.opened_at, r.resolved_at),
                followup_csat=answers.get(r.id, []),
            )
            for r in rows
        )
    return out


def count_complaints(
    session: Session, *, brand: Brand, since: date, until: date, root_cause: str
) -> int:
    """Complaints of the brand with this root cause opened in [since, until] (local dates)."""
    start, end = utc_range(since, until, brand.timezone)
    return int(
        session.scalar(
            select(func.count()).where(
                Complaint.brand_id == brand.id,
                Complaint.root_cause == root_cause,
                Complaint.opened_at >= start,
                Complaint.opened_at < end,
            )
        )
        or 0
    )


def _followup_answers(session: Session, complaint_ids: Sequence[int]) -> dict[int, list[float]]:
    out: dict[int, list[float]] = defaultdict(list)
    for start in range(0, len(complaint_ids), 1000):  # bounded IN lists
        chunk = complaint_ids[start : start + 1000]
        rows = session.execute(
            select(ComplaintSurveyInvitation.complaint_id, Score.value)
            .join(Score, Score.feedback_id == ComplaintSurveyInvitation.feedback_id)
            .where(
                ComplaintSurveyInvitation.complaint_id.in_(chunk),
                Score.metric == FOLLOWUP_CSAT_METRIC,
            )
            .order_by(ComplaintSurveyInvitation.complaint_id, Score.feedback_id)
        )
        for complaint_id, value in rows:
            out[complaint_id].append(float(value))
    return out


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600

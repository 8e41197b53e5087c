"""Brand-scoped reads of a case's after-care for the dashboard: promises, compensation given and
follow-up results.

The follow-up of each resolution (cycle) is one of: scheduled (the survey job has not run
yet), sent (invitation open), answered (with the customer's CSAT, NPS and solved? from the
survey feedback's scores, see followup.py) or expired (never answered in time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.complaints.loop import FOLLOWUP_JOB
from trustpulse.complaints.models import (
    ComplaintCompensation,
    ComplaintPromise,
    ComplaintState,
    ComplaintSurveyInvitation,
)
from trustpulse.complaints.queries import get_complaint
from trustpulse.feedback.models import Score
from trustpulse.jobs.models import ScheduledJob, ScheduledJobStatus

FollowupStatus = Literal["scheduled", "sent", "answered", "expired"]


@dataclass(frozen=True)
class FollowupResult:
    cycle: int  # the complaint's reopen count when it was resolved
    status: FollowupStatus
    due_at: datetime | None  # scheduled: when the invitation goes out
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    csat: float | None = None  # 1-5
    nps: float | None = None  # 0-10
    solved: bool | None = None


@dataclass(frozen=True)
class Aftercare:
    promises: list[ComplaintPromise]  # by due time
    followups: list[FollowupResult]  # newest resolution first
    compensations: list[ComplaintCompensation]  # in the order given


def get_aftercare(session: Session, complaint_id: int, *, brand: str, now: datetime) -> Aftercare:
    """Promises, compensation and follow-up results of one case; NotFoundError if missing or
    another brand's."""
    complaint = get_complaint(session, complaint_id, brand=brand)
    promises = list(
        session.scalars(
            select(ComplaintPromise)
            .where(ComplaintPromise.complaint_id == complaint.id)
            .order_by(ComplaintPromise.due_at, ComplaintPromise.id)
        )
    )
    invitations = list(
        session.scalars(
            select(ComplaintSurveyInvitation)
            .where(ComplaintSurveyInvitation.complaint_id == complaint.id)
            .order_by(ComplaintSurveyInvitation.cycle.desc())
        )
    )
    answered = [i.feedback_id for i in invitations if i.feedback_id is not None]
    scores: dict[int, dict[str, float]] = {}
    if answered:
        for feedback_id, metric, value in session.execute(
            select(Score.feedback_id, Score.metric, Score.value).where(
                Score.feedback_id.in_(answered), Score.metric.in_(("csat", "nps", "solved"))
            )
        ):
            scores.setdefault(feedback_id, {})[metric] = value
    followups = [_result(i, scores.get(i.feedback_id or -1, {}), now) for i in invitations]
    resolved = complaint.state in (ComplaintState.resolved, ComplaintState.closed)
    if resolved and complaint.reopen_count not in {i.cycle for i in invitations}:
        job = session.scalar(
            select(ScheduledJob).where(
                ScheduledJob.key == f"complaint-followup:{complaint.id}:{complaint.reopen_count}",
                ScheduledJob.name == FOLLOWUP_JOB,
                ScheduledJob.status != ScheduledJobStatus.cancelled,
            )
        )
        if job is not None:
            pending = FollowupResult(
                cycle=complaint.reopen_count,
                status="scheduled",
                due_at=job.run_at,
                sent_at=None,
                expires_at=None,
                answered_at=None,
            )
            followups.insert(0, pending)
    compensations = list(
        session.scalars(
            select(ComplaintCompensation)
            .where(ComplaintCompensation.complaint_id == complaint.id)
            .order_by(ComplaintCompensation.created_at, ComplaintCompensation.id)
        )
    )
    return Aftercare(promises=promises, followups=followups, compensations=compensations)


def _result(
    invitation: ComplaintSurveyInvitation, scores: dict[str, float], now: datetime
) -> FollowupResult:
    status: FollowupStatus
    if invitation.used_at is not None:
        status = "answered"
    elif now > invitation.expires_at:
        status = "expired"
    else:
        status = "sent"
    solved = scores.get("solved")
    return FollowupResult(
        cycle=invitation.cycle,
        status=status,
        due_at=None,
        sent_at=invitation.created_at,
        expires_at=invitation.expires_at,
        answered_at=invitation.used_at,
        csat=scores.get("csat"),
        nps=scores.get("nps"),
        solved=None if solved is None else solved >= 1.0,
    )

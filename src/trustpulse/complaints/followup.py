"""The follow-up survey after resolution: single-use invitations and their answers.

The job `complaints.send_followup_survey` (scheduled at resolution, see loop.py) creates one
invitation per resolution (unique complaint × cycle, so a second run creates nothing) with an
unguessable token and sends the link through the outbox, unless the case was reopened since.
The answer (CSAT 1–5, solved yes/no, optional NPS and comment) is stored as `survey` feedback
with its scores (csat, nps, solved 1/0) linked to the complaint through the invitation; the
token is then spent. "Not solved" reopens the case; if the reopen window has closed, the
answer is left to the case rules (`followup_not_solved` opens a new case).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.complaints import lifecycle
from trustpulse.complaints.config import complaints_config
from trustpulse.complaints.models import Complaint, ComplaintState, ComplaintSurveyInvitation
from trustpulse.complaints.rules import FOLLOWUP, mark_evaluated
from trustpulse.complaints.schemas import ReopenRequest, SurveyAnswer
from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import ConflictError, NotFoundError
from trustpulse.feedback import service as feedback_service
from trustpulse.feedback.models import Feedback, Score
from trustpulse.feedback.schemas import FeedbackCreate
from trustpulse.notifications.service import queue_notification


class InvitationUsedError(ConflictError):
    code = "invitation_used"


class InvitationExpiredError(ConflictError):
    code = "invitation_expired"


def create_invitation(
    session: Session, complaint_id: int, cycle: int, *, settings: Settings
) -> ComplaintSurveyInvitation | None:
    """The invitation for this resolution; None if the case was reopened or is gone."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or complaint.reopen_count != cycle:
        return None
    if complaint.state not in (ComplaintState.resolved, ComplaintState.closed):
        return None
    existing = session.scalar(
        select(ComplaintSurveyInvitation).where(
            ComplaintSurveyInvitation.complaint_id == complaint_id,
            ComplaintSurveyInvitation.cycle == cycle,
        )
    )
    if existing is not None:
        return existing
    brand = session.scalar(select(Brand.code).where(Brand.id == complaint.brand_id)) or "default"
    config = complaints_config(settings, brand)
    now = utcnow()
    invitation = ComplaintSurveyInvitation(
        complaint_id=complaint_id,
        cycle=cycle,
        token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(days=config.followup.expires_after_days),
    )
    session.add(invitation)
    session.flush()
    queue_notification(
        session,
        channel=config.progress_channel,
        subject=f"How did we do with your case #{complaint.id}?",
        body="Tell us whether your problem was solved: it takes a minute.",
        recipient=f"customer:{complaint.customer_id}" if complaint.customer_id else None,
        payload={"complaint_id": complaint.id, "survey_token": invitation.token},
        dedupe_key=f"complaint-followup:{complaint.id}:{cycle}",
    )
    return invitation


def get_invitation(session: Session, token: str) -> ComplaintSurveyInvitation:
    invitation = session.scalar(
        select(ComplaintSurveyInvitation).where(ComplaintSurveyInvitation.token == token)
    )
    if invitation is None:
        raise NotFoundError("no survey with this link")
    return invitation


def answer_survey(
    session: Session, token: str, data: SurveyAnswer, *, settings: Settings
) -> Feedback:
    """Store the answer as survey feedback linked to the complaint; "not solved" reopens."""
    invitation = session.scalar(
        select(ComplaintSurveyInvitation)
        .where(ComplaintSurveyInvitation.token == token)
        .with_for_update()
    )
    if invitation is None:
        raise NotFoundError("no survey with this link")
    if invitation.used_at is not None:
        raise InvitationUsedError("this survey was already answered")
    now = utcnow()
    if now > invitation.expires_at:
        raise InvitationExpiredError("this survey link has expired")
    complaint = session.get(Complaint, invitation.complaint_id)
    if complaint is None:
        raise NotFoundError("no survey with this link")
    brand = session.scalar(select(Brand.code).where(Brand.id == complaint.brand_id)) or "default"
    customer_ext = None
    if complaint.customer_id is not None:
        customer_ext = session.scalar(
            select(Customer.external_id).where(Customer.id == complaint.customer_id)
        )
    config = complaints_config(settings, brand)
    feedback = feedback_service.submit_feedback(
        session,
        FeedbackCreate(
            kind="survey",
            source="complaint_followup",
            external_id=f"complaint-{complaint.id}-followup-{invitation.cycle}",
            customer_id=customer_ext,
            occurred_at=now.isoformat(),
            channel=config.followup.channel,
            text=data.comment,
            csat=data.csat,
            nps=data.nps,
            product=complaint.product,
            region=complaint.region,
        ),
        brand=brand,
    )
    # "solved" is no canonical score of the feedback schema: stored beside it as a score row
    session.add(Score(feedback_id=feedback.id, metric="solved", value=1.0 if data.solved else 0.0))
    invitation.used_at, invitation.feedback_id = now, feedback.id
    session.flush()
    reopened = False
    if not data.solved:
        reopened = _reopen(session, complaint, brand=brand, settings=settings)
    if data.solved or reopened:
        # the case itself takes care of it: the case rules must not open another one
        mark_evaluated(session, feedback.id, outcome=FOLLOWUP, now=now, complaint_id=complaint.id)
    return feedback


def _reopen(session: Session, complaint: Complaint, *, brand: str, settings: Settings) -> bool:
    """Reopen for the customer; True if the case is open again (or an agent already did it)."""
    if complaint.state not in (ComplaintState.resolved, ComplaintState.closed):
        return True
    try:
        lifecycle.reopen_complaint(
            session,
            complaint.id,
            ReopenRequest(version=complaint.version, reason="follow-up survey: not solved"),
            brand=brand,
            settings=settings,
        )
    except lifecycle.ReopenWindowClosedError:
        return False
    return True

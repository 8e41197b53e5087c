"""The closed loop of a complaint and the scheduling of its follow-up survey.

The loop: feedback received (opened_at) → attributed (resolved with a root cause and
responsibility: attributed_at) → improvement action linked, or "no action needed" with a reason
(action_linked_at) → customer notified (the resolution notice: customer_notified_at). When all
three steps happened the loop is closed (loop_closed_at = the latest of them); its duration is
loop_closed_at - opened_at, target `loop_target_days` (issue #3: 7 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints.config import ComplaintsConfig
from trustpulse.complaints.events import append_event
from trustpulse.complaints.models import Complaint
from trustpulse.complaints.queries import lock_complaint
from trustpulse.complaints.schemas import LoopUpdate
from trustpulse.errors import InvalidInputError
from trustpulse.jobs.scheduler import schedule_at

FOLLOWUP_JOB = "complaints.send_followup_survey"


def close_loop_if_done(complaint: Complaint) -> bool:
    """Set loop_closed_at once attributed, action linked and customer notified."""
    steps = (complaint.attributed_at, complaint.action_linked_at, complaint.customer_notified_at)
    if complaint.loop_closed_at is not None or any(step is None for step in steps):
        return False
    complaint.loop_closed_at = max(step for step in steps if step is not None)
    return True


def link_action(session: Session, complaint_id: int, data: LoopUpdate, *, brand: str) -> Complaint:
    """Link an improvement action (a reference) or record why no action is needed."""
    complaint = lock_complaint(session, complaint_id, brand=brand)
    accounts.get_user(session, data.actor_id)
    has_ref = bool(data.improvement_ref and data.improvement_ref.strip())
    has_reason = bool(data.no_action_reason and data.no_action_reason.strip())
    if has_ref == has_reason:
        raise InvalidInputError(
            "give either improvement_ref or no_action_reason", field="improvement_ref"
        )
    now = utcnow()
    complaint.improvement_ref = data.improvement_ref if has_ref else None
    complaint.no_action_reason = data.no_action_reason if has_reason else None
    complaint.action_linked_at = now
    append_event(
        session,
        complaint,
        "improvement_linked" if has_ref else "no_action_needed",
        at=now,
        actor_id=data.actor_id,
        note=data.no_action_reason,
        data={"improvement_ref": complaint.improvement_ref},
    )
    close_loop_if_done(complaint)
    session.flush()
    return complaint


def loop_hours(complaint: Complaint) -> float | None:
    if complaint.loop_closed_at is None:
        return None
    return (complaint.loop_closed_at - complaint.opened_at).total_seconds() / 3600


def schedule_followup(
    session: Session, complaint: Complaint, *, config: ComplaintsConfig, now: datetime
) -> None:
    """Schedule the follow-up survey `after_hours` after this resolution (once per resolution)."""
    if not config.followup.enabled:
        return
    schedule_at(
        session,
        FOLLOWUP_JOB,
        now + timedelta(hours=config.followup.after_hours),
        key=f"complaint-followup:{complaint.id}:{complaint.reopen_count}",
        complaint_id=complaint.id,
        cycle=complaint.reopen_count,
    )

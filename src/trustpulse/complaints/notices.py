"""What the customer sees: progress notices through the outbox and the status page.

A notice goes out at each state change the customer should know about (received and being
handled, we need something from you, back in progress, resolved, closed, reopened); each is
deduplicated by the event that caused it. The status page, behind the case's unguessable
token, shows the state, the next step and the promises with their due times: never internal
notes, owners or SLA internals.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.complaints.config import ComplaintsConfig
from trustpulse.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPromise,
    ComplaintState,
)
from trustpulse.complaints.schemas import PromiseOut, StatusPage
from trustpulse.customers.models import Brand
from trustpulse.errors import NotFoundError
from trustpulse.notifications.service import queue_notification

S = ComplaintState
# state → (headline, next step) shown to the customer (issue #3: "the customer sees progress")
CUSTOMER_VIEW: dict[ComplaintState, tuple[str, str]] = {
    S.new: ("received", "An agent will contact you shortly."),
    S.acknowledged: ("being handled", "Your case has an owner who is looking into it."),
    S.in_progress: ("being handled", "We are working on a solution."),
    S.waiting_on_customer: ("waiting for you", "Please reply with the information we asked for."),
    S.resolved: ("resolved", "Tell us in the follow-up survey whether it is really solved."),
    S.closed: ("closed", "Reply within the reopen window if the problem comes back."),
}
_VISIBLE = frozenset({S.acknowledged, S.waiting_on_customer, S.in_progress, S.resolved, S.closed})


def new_status_token() -> str:
    """An unguessable token for the status page (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def _announced(event: ComplaintEvent) -> ComplaintState | None:
    """The customer-visible state this event moves the case into (None: nothing to tell)."""
    if event.to_state is None or event.to_state == event.from_state:
        return None
    state = ComplaintState(event.to_state)
    return state if state in _VISIBLE else None


def note_progress(complaint: Complaint, event: ComplaintEvent) -> None:
    """Record on the case what the notice for this event tells the customer: the resolution
    notice is a step of the closed loop (loop.py). `progress_notice` queues the message."""
    if _announced(event) == S.resolved:
        complaint.customer_notified_at = event.at


def progress_notice(
    session: Session,
    complaint: Complaint,
    event: ComplaintEvent,
    *,
    config: ComplaintsConfig,
) -> None:
    """Queue a notice for a customer-visible state change (dedupe: one per event)."""
    state = _announced(event)
    if state is None:
        return
    headline, next_step = CUSTOMER_VIEW[state]
    if event.kind == "reopened":
        headline = "reopened"
    queue_notification(
        session,
        channel=config.progress_channel,
        subject=f"Your case #{complaint.id} is {headline}",
        body=next_step,
        recipient=f"customer:{complaint.customer_id}" if complaint.customer_id else None,
        payload={
            "complaint_id": complaint.id,
            "state": state.value,
            "status_token": complaint.status_token,
        },
        dedupe_key=f"complaint-progress:{complaint.id}:{event.seq}",
    )


def status_page(session: Session, token: str) -> StatusPage:
    """The customer's view of a case by its token; NotFoundError for any unknown token."""
    complaint = (
        session.scalar(select(Complaint).where(Complaint.status_token == token))
        if len(token) >= 16
        else None
    )
    if complaint is None:
        raise NotFoundError("no case with this link")
    headline, next_step = CUSTOMER_VIEW[complaint.state]
    promises = session.scalars(
        select(ComplaintPromise)
        .where(ComplaintPromise.complaint_id == complaint.id)
        .order_by(ComplaintPromise.due_at, ComplaintPromise.id)
    )
    return StatusPage(
        reference=complaint.id,
        title=complaint.title,
        state=complaint.state,
        headline=headline,
        next_step=next_step,
        opened_at=complaint.opened_at,
        resolved_at=complaint.resolved_at,
        promises=[PromiseOut.model_validate(p) for p in promises],
        timezone=session.scalar(select(Brand.timezone).where(Brand.id == complaint.brand_id))
        or "Asia/Shanghai",
    )

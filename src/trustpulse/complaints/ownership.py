"""Ownership moves and re-grading: explicit transfers with a reason, severity changes.

Both are logged writes under the same optimistic lock as the lifecycle (see lifecycle.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints.events import append_event
from trustpulse.complaints.lifecycle import (
    OPEN_STATES,
    IllegalTransitionError,
    load_acted_on,
    require_user,
    save_change,
)
from trustpulse.complaints.models import Complaint
from trustpulse.complaints.schemas import SeverityChange, TransferRequest
from trustpulse.config import Settings
from trustpulse.errors import NotFoundError


def transfer_complaint(
    session: Session, complaint_id: int, data: TransferRequest, *, brand: str, settings: Settings
) -> Complaint:
    """The only way ownership moves: explicit, with a reason, logged (also the first assignment)."""
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    require_user(session, data.to_user_id)
    if data.actor_id is not None:
        require_user(session, data.actor_id)
    if complaint.state not in OPEN_STATES:
        raise IllegalTransitionError(
            f"a {complaint.state.value} complaint has no owner to transfer",
            from_state=complaint.state.value,
        )
    if data.team_id is not None:
        team = accounts.get_team(session, data.team_id)
        if team.brand_id not in (None, complaint.brand_id):
            raise NotFoundError(f"team {data.team_id} not found", id=data.team_id)
        if team.id != complaint.team_id:
            complaint.is_complex = True  # needed more than one team
        complaint.team_id = team.id
    previous = complaint.owner_id
    complaint.owner_id = data.to_user_id
    append_event(
        session,
        complaint,
        "transferred",
        at=utcnow(),
        actor_id=data.actor_id,
        note=data.reason,
        data={
            "from_owner_id": previous,
            "to_owner_id": data.to_user_id,
            "team_id": complaint.team_id,
        },
    )
    save_change(session, complaint, settings=settings, brand=brand)
    return complaint


def change_severity(
    session: Session, complaint_id: int, data: SeverityChange, *, brand: str, settings: Settings
) -> Complaint:
    """Re-grade a case: its SLA policy is matched again and running deadlines move."""
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    require_user(session, data.actor_id)
    previous = complaint.severity
    complaint.severity = data.severity
    append_event(
        session,
        complaint,
        "severity_changed",
        at=utcnow(),
        actor_id=data.actor_id,
        note=data.reason,
        data={"from": previous.value, "to": data.severity.value},
    )
    save_change(session, complaint, settings=settings, brand=brand)
    return complaint

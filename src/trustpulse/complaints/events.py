"""The append-only complaint event log: appending entries, and replaying them into a state.

Lifecycle events carry `from_state → to_state`; SLA events (`sla_*`) and ownership events carry
no state. Replaying the log therefore yields the complaint's state, which lifecycle.py keeps
equal to `Complaint.state` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintState

SLA_PREFIX = "sla_"


def append_event(
    session: Session,
    complaint: Complaint,
    kind: str,
    *,
    at: datetime,
    actor_id: int | None = None,
    from_state: ComplaintState | None = None,
    to_state: ComplaintState | None = None,
    note: str | None = None,
    channel: str | None = None,
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    """Append one entry; the caller holds the complaint's row lock (seq is max + 1)."""
    last = session.scalar(
        select(func.max(ComplaintEvent.seq)).where(ComplaintEvent.complaint_id == complaint.id)
    )
    event = ComplaintEvent(
        complaint_id=complaint.id,
        seq=(last or 0) + 1,
        kind=kind,
        at=at,
        actor_id=actor_id,
        from_state=from_state.value if from_state is not None else None,
        to_state=to_state.value if to_state is not None else None,
        note=note,
        channel=channel,
        data=data or {},
        recorded_at=at,
    )
    session.add(event)
    session.flush()
    return event


def list_events(session: Session, complaint_id: int) -> list[ComplaintEvent]:
    return list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.seq)
        )
    )


def replay_state(events: Iterable[ComplaintEvent]) -> ComplaintState | None:
    """The state the log leads to: the last `to_state` (None for an empty log)."""
    state: ComplaintState | None = None
    for event in events:
        if event.to_state is not None:
            state = ComplaintState(event.to_state)
    return state

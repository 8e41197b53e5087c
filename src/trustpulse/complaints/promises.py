"""Promises to the customer: recorded with a due time, then kept or broken.

An agent records what was promised ("we will call back tomorrow") and later marks it kept or
broken. A promise still open when its due time passes is broken by the SLA tick: it is logged,
escalated through the outbox like an SLA breach (once: dedupe key per promise) and counted in
the broken-promise rate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints.config import complaints_config, sla_config
from trustpulse.complaints.escalation import recipients
from trustpulse.complaints.events import append_event
from trustpulse.complaints.models import Complaint, ComplaintPromise, PromiseStatus
from trustpulse.complaints.queries import lock_complaint
from trustpulse.complaints.schemas import PromiseCreate, PromiseSettle
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.errors import ConflictError, InvalidInputError, NotFoundError
from trustpulse.notifications.service import queue_notification


def add_promise(
    session: Session, complaint_id: int, data: PromiseCreate, *, brand: str
) -> ComplaintPromise:
    complaint = lock_complaint(session, complaint_id, brand=brand)
    accounts.get_user(session, data.actor_id)
    if data.due_at.tzinfo is None:
        raise InvalidInputError("due_at needs a time zone", field="due_at")
    now = utcnow()
    promise = ComplaintPromise(
        complaint_id=complaint.id,
        text=data.text,
        due_at=data.due_at,
        status=PromiseStatus.open,
        created_by=data.actor_id,
        created_at=now,
    )
    session.add(promise)
    session.flush()
    append_event(
        session,
        complaint,
        "promised",
        at=now,
        actor_id=data.actor_id,
        note=data.text,
        data={"promise_id": promise.id, "due_at": data.due_at.isoformat()},
    )
    return promise


def settle_promise(
    session: Session, complaint_id: int, promise_id: int, data: PromiseSettle, *, brand: str
) -> ComplaintPromise:
    """Mark a promise kept or broken (an agent's word; the tick breaks overdue ones)."""
    complaint = lock_complaint(session, complaint_id, brand=brand)
    accounts.get_user(session, data.actor_id)
    promise = session.get(ComplaintPromise, promise_id)
    if promise is None or promise.complaint_id != complaint.id:
        raise NotFoundError(f"promise {promise_id} not found", id=promise_id)
    if promise.status != PromiseStatus.open:
        raise ConflictError(f"promise {promise_id} is already {promise.status.value}")
    now = utcnow()
    promise.status = PromiseStatus.kept if data.kept else PromiseStatus.broken
    promise.settled_at = now
    append_event(
        session,
        complaint,
        f"promise_{promise.status.value}",
        at=now,
        actor_id=data.actor_id,
        note=data.note,
        data={"promise_id": promise.id, "due_at": promise.due_at.isoformat()},
    )
    session.flush()
    return promise


def break_overdue_promises(
    session: Session, *, settings: Settings, now: datetime, limit: int = 500
) -> list[int]:
    """Break every open promise past its due time; escalate each once. Returns promise ids."""
    stmt = (
        select(ComplaintPromise)
        .where(ComplaintPromise.status == PromiseStatus.open, ComplaintPromise.due_at <= now)
        .order_by(ComplaintPromise.due_at, ComplaintPromise.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    broken = []
    for promise in list(session.scalars(stmt)):
        complaint = session.scalars(
            select(Complaint).where(Complaint.id == promise.complaint_id).with_for_update()
        ).one()
        code = session.scalar(select(Brand.code).where(Brand.id == complaint.brand_id))
        sla, care = sla_config(settings, code), complaints_config(settings, code)
        promise.status, promise.settled_at = PromiseStatus.broken, promise.due_at
        to = recipients(session, complaint, care.promise_notify, sla)
        append_event(
            session,
            complaint,
            "promise_broken",
            at=now,
            note=promise.text,
            data={
                "promise_id": promise.id,
                "due_at": promise.due_at.isoformat(),
                "notify": care.promise_notify,
                "recipients": to,
            },
        )
        queue_notification(
            session,
            channel=sla.notify_channel,
            subject=f"[promise broken] complaint #{complaint.id}: {promise.text[:120]}",
            body=f"Promise due {promise.due_at.isoformat()} was not kept: {promise.text}",
            recipient=", ".join(to)[:254] or None,
            payload={"complaint_id": complaint.id, "promise_id": promise.id},
            dedupe_key=f"complaint-promise:{promise.id}:broken",
        )
        broken.append(promise.id)
    session.flush()
    return broken

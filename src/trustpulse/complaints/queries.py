"""Brand-scoped reads of complaints: one case, queues (team, owner, state), SLA urgency order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from trustpulse.complaints.models import (
    TARGET_ORDER,
    Complaint,
    ComplaintSlaTarget,
    ComplaintState,
    Severity,
    SlaStatus,
)
from trustpulse.customers import service as customers
from trustpulse.errors import NotFoundError

_IN_CHUNK = 5000


def get_complaint(session: Session, complaint_id: int, *, brand: str) -> Complaint:
    """The complaint in this brand; NotFoundError if missing or another brand's."""
    brand_row = customers.find_brand(session, brand)
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or brand_row is None or complaint.brand_id != brand_row.id:
        raise NotFoundError(f"complaint {complaint_id} not found", id=complaint_id)
    return complaint


def breaching_ids(now: datetime) -> Select[int]:
    """Complaints with a running clock past its deadline (or breached and not yet met)."""
    t = ComplaintSlaTarget
    return select(t.complaint_id).where(
        t.status != SlaStatus.fulfilled,
        or_(t.breached_at.is_not(None), t.due_at <= now),
    )


def list_complaints(
    session: Session,
    *,
    brand: str,
    now: datetime,
    states: Sequence[ComplaintState] = (),
    team_id: int | None = None,
    owner_id: int | None = None,
    severity: Severity | None = None,
    category: str | None = None,
    channel: str | None = None,
    breaching: bool = False,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[Complaint], int]:
    """A page of a brand's complaints, most urgent first: the earliest running deadline, then
    cases with no running clock by age. `limit` None: every match. Returns (page, total).

    `category` matches the category and its sub-categories (`billing` finds `billing.refund`).
    """
    brand_row = customers.get_brand(session, brand)
    query = select(Complaint).where(Complaint.brand_id == brand_row.id)
    if states:
        query = query.where(Complaint.state.in_(list(states)))
    if team_id is not None:
        query = query.where(Complaint.team_id == team_id)
    if owner_id is not None:
        query = query.where(Complaint.owner_id == owner_id)
    if severity is not None:
        query = query.where(Complaint.severity == severity)
    if category is not None:
        query = query.where(
            or_(Complaint.category == category, Complaint.category.startswith(f"{category}."))
        )
    if channel is not None:
        query = query.where(Complaint.channel == channel)
    if breaching:
        query = query.where(Complaint.id.in_(breaching_ids(now)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    urgency = (
        select(
            ComplaintSlaTarget.complaint_id.label("complaint_id"),
            func.min(ComplaintSlaTarget.due_at).label("next_due"),
        )
        .where(ComplaintSlaTarget.status == SlaStatus.active)
        .group_by(ComplaintSlaTarget.complaint_id)
        .subquery()
    )
    page = session.scalars(
        query.outerjoin(urgency, urgency.c.complaint_id == Complaint.id)
        .order_by(
            urgency.c.next_due.is_(None), urgency.c.next_due, Complaint.opened_at, Complaint.id
        )
        .limit(limit)
        .offset(offset)
    )
    return list(page), total


def sla_targets(
    session: Session, complaint_ids: Sequence[int]
) -> dict[int, list[ComplaintSlaTarget]]:
    out: dict[int, list[ComplaintSlaTarget]] = {cid: [] for cid in complaint_ids}
    ids = list(complaint_ids)
    for start in range(0, len(ids), _IN_CHUNK):  # a whole queue can exceed SQLite's bind limit
        rows = session.scalars(
            select(ComplaintSlaTarget).where(
                ComplaintSlaTarget.complaint_id.in_(ids[start : start + _IN_CHUNK])
            )
        )
        for row in rows:
            out[row.complaint_id].append(row)
    for clocks in out.values():
        clocks.sort(key=lambda row: TARGET_ORDER[row.target])
    return out


def lock_complaint(session: Session, complaint_id: int, *, brand: str) -> Complaint:
    """The brand's complaint re-read under a row lock (for writes that append to its log)."""
    complaint = get_complaint(session, complaint_id, brand=brand)
    return session.scalars(
        select(Complaint)
        .where(Complaint.id == complaint.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()

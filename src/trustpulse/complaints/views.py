"""Brand-scoped reads for the dashboard's complaint pages: the queue with names, one case in full.

The queue orders like `queries.list_complaints` (earliest running deadline first, then cases with
no running clock by age) and adds the dashboard's global filters: channel and opening period.
The case view shows the customer's text redacted by the text pipeline when it was analysed;
a case with no analysed text shows its stored description redacted on the fly (and escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.accounts.models import Team, User
from trustpulse.complaints.events import list_events
from trustpulse.complaints.models import (
    TARGET_ORDER,
    Complaint,
    ComplaintEvent,
    ComplaintSlaTarget,
    ComplaintState,
    Severity,
    SlaStatus,
)
from trustpulse.complaints.queries import breaching_ids, get_complaint, sla_targets
from trustpulse.complaints.sla import policy_of_clocks
from trustpulse.customers import service as customers
from trustpulse.customers.models import Customer
from trustpulse.pii import redact
from trustpulse.text.models import FeedbackAnalysis


@dataclass(frozen=True)
class QueueFilter:
    """What a queue shows; `opened_since` inclusive, `opened_before` exclusive (UTC instants)."""

    brand: str
    states: Sequence[ComplaintState] = ()
    team_id: int | None = None
    owner_id: int | None = None
    severity: Severity | None = None
    breaching: bool = False
    channel: str | None = None
    opened_since: datetime | None = None
    opened_before: datetime | None = None


@dataclass(frozen=True)
class QueueRow:
    complaint: Complaint
    targets: list[ComplaintSlaTarget]
    owner: str | None
    team: str | None
    customer: str | None  # external id, never the name (personal data)

    @property
    def next_target(self) -> ComplaintSlaTarget | None:
        """The running clock due first (what the queue is sorted by)."""
        running = [t for t in self.targets if t.status == SlaStatus.active and t.due_at]
        return min(running, key=lambda t: (t.due_at, TARGET_ORDER[t.target])) if running else None


@dataclass(frozen=True)
class CaseView:
    complaint: Complaint
    targets: list[ComplaintSlaTarget]
    events: list[ComplaintEvent]  # oldest first, as stored
    people: dict[int, str]  # user id -> display name, for everyone the case mentions
    team: Team | None
    customer: Customer | None
    text: str | None
    text_redacted: bool  # False only when there is no text at all
    desk: list[tuple[Team, list[User]]] = field(default_factory=list)

    @property
    def sla_policy(self) -> str | None:
        return policy_of_clocks(self.targets)


def list_queue(
    session: Session, flt: QueueFilter, *, now: datetime, limit: int = 50, offset: int = 0
) -> tuple[list[QueueRow], int]:
    """A page of the brand's queue, most urgent first, and the total matching."""
    brand_row = customers.get_brand(session, flt.brand)
    query = select(Complaint).where(Complaint.brand_id == brand_row.id)
    if flt.states:
        query = query.where(Complaint.state.in_(list(flt.states)))
    if flt.team_id is not None:
        query = query.where(Complaint.team_id == flt.team_id)
    if flt.owner_id is not None:
        query = query.where(Complaint.owner_id == flt.owner_id)
    if flt.severity is not None:
        query = query.where(Complaint.severity == flt.severity)
    if flt.channel is not None:
        query = query.where(Complaint.channel == flt.channel)
    if flt.opened_since is not None:
        query = query.where(Complaint.opened_at >= flt.opened_since)
    if flt.opened_before is not None:
        query = query.where(Complaint.opened_at < flt.opened_before)
    if flt.breaching:
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
    page = list(
        session.scalars(
            query.outerjoin(urgency, urgency.c.complaint_id == Complaint.id)
            .order_by(
                urgency.c.next_due.is_(None), urgency.c.next_due, Complaint.opened_at, Complaint.id
            )
            .limit(limit)
            .offset(offset)
        )
    )
    targets = sla_targets(session, [c.id for c in page])
    users = user_names(session, [c.owner_id for c in page if c.owner_id is not None])
    teams = team_names(session, [c.team_id for c in page if c.team_id is not None])
    customer_ids = [c.customer_id for c in page if c.customer_id is not None]
    labels = dict(
        session.execute(
            select(Customer.id, Customer.external_id).where(Customer.id.in_(customer_ids))
        ).all()
    )
    rows = [
        QueueRow(
            complaint=c,
            targets=targets[c.id],
            owner=users.get(c.owner_id) if c.owner_id is not None else None,
            team=teams.get(c.team_id) if c.team_id is not None else None,
            customer=labels.get(c.customer_id) if c.customer_id is not None else None,
        )
        for c in page
    ]
    return rows, total


def user_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(set(ids))))
    return dict(rows.all())


def team_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(set(ids)))).all())


def brand_desk(session: Session, *, brand: str) -> list[tuple[Team, list[User]]]:
    """The brand's teams (and shared teams) with their members, sorted by username."""
    brand_row = customers.get_brand(session, brand)
    return [
        (team, sorted(team.members, key=lambda u: u.username))
        for team in accounts.list_teams(session, brand_id=brand_row.id)
    ]


def get_case(session: Session, complaint_id: int, *, brand: str) -> CaseView:
    """One case with its clocks, log and names; NotFoundError if missing or another brand's."""
    complaint = get_complaint(session, complaint_id, brand=brand)
    events = list_events(session, complaint.id)
    mentioned = {e.actor_id for e in events if e.actor_id is not None}
    for event in events:
        for key in ("to_owner_id", "from_owner_id", "owner_id"):
            value = event.data.get(key)
            if isinstance(value, int):
                mentioned.add(value)
    if complaint.owner_id is not None:
        mentioned.add(complaint.owner_id)
    text: str | None = None
    if complaint.feedback_id is not None:
        text = session.scalar(
            select(FeedbackAnalysis.redacted_text).where(
                FeedbackAnalysis.feedback_id == complaint.feedback_id
            )
        )
    if text is None and complaint.description is not None:
        text = redact(complaint.description).text  # not analysed yet: redact on the way out
    redacted = text is not None
    return CaseView(
        complaint=complaint,
        targets=sla_targets(session, [complaint.id])[complaint.id],
        events=events,
        people=user_names(session, sorted(mentioned)),
        team=session.get(Team, complaint.team_id) if complaint.team_id is not None else None,
        customer=(
            session.get(Customer, complaint.customer_id)
            if complaint.customer_id is not None
            else None
        ),
        text=text,
        text_redacted=redacted,
        desk=brand_desk(session, brand=brand),
    )

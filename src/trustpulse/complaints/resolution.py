"""Resolving well: root causes from the configured tree, the complex flag, compensation by standard.

- A root cause must be a node of complaints.yaml `root_causes` (dotted path); an empty tree
  accepts anything.
- A case is complex when it needed more than one team (a transfer to another team, or a team
  other than the first in the log) or more than one solution attempt (it was resolved before
  and reopened).
- Compensation follows the matrix (category × severity × tier × responsibility → type and
  range, first match wins). An amount outside the range, a type the matrix does not give, or
  an amount above the agent's approval limit needs an approver from `approvers`; the approval
  is stored with the compensation and logged as an event.
- The consistency report shows, per category and type, the spread of amounts given for like
  cases and the outliers (beyond 1.5 IQR of the quartiles).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints.care_config import CompensationConfig, CompensationRow, tree_paths
from trustpulse.complaints.config import ComplaintsConfig, complaints_config
from trustpulse.complaints.events import append_event
from trustpulse.complaints.kpis import percentile
from trustpulse.complaints.models import Complaint, ComplaintCompensation, ComplaintEvent
from trustpulse.complaints.queries import lock_complaint
from trustpulse.complaints.schemas import CompensationCreate
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.models import Customer
from trustpulse.errors import ForbiddenError, InvalidInputError


class ApprovalRequiredError(ForbiddenError):
    code = "approval_required"


def check_root_cause(config: ComplaintsConfig, root_cause: str) -> None:
    """Refuse a root cause outside the configured tree (InvalidInputError, field root_cause)."""
    if not config.root_causes:
        return
    paths = tree_paths(config.root_causes)
    if root_cause not in paths:
        raise InvalidInputError(
            f"{root_cause!r} is not in the root-cause tree",
            field="root_cause",
            allowed=sorted(paths),
        )


def is_complex_case(session: Session, complaint: Complaint) -> bool:
    """More than one team (transfers across teams) or more than one solution attempt."""
    events = session.execute(
        select(ComplaintEvent.kind, ComplaintEvent.data).where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.kind.in_(["resolved", "transferred"]),
        )
    ).all()
    attempts = sum(1 for kind, _ in events if kind == "resolved")
    teams = {data.get("team_id") for kind, data in events if kind == "transferred"}
    teams.discard(None)
    teams.discard(complaint.team_id)
    return attempts >= 1 or bool(teams)


def match_compensation(
    config: CompensationConfig,
    *,
    category: str | None,
    severity: str,
    tier: str | None,
    responsibility: str | None,
    kind: str,
) -> CompensationRow | None:
    """The first matrix row for this case that gives this compensation type."""
    for row in config.matrix:
        if (
            row.kind == kind
            and (row.category is None or category in row.category)
            and (row.severity is None or severity in row.severity)
            and (row.tier is None or tier in row.tier)
            and (row.responsibility is None or responsibility in row.responsibility)
        ):
            return row
    return None


def give_compensation(
    session: Session, complaint_id: int, data: CompensationCreate, *, brand: str, settings: Settings
) -> ComplaintCompensation:
    """Record compensation; refuses (403 approval_required) what needs an approval it lacks."""
    complaint = lock_complaint(session, complaint_id, brand=brand)
    config = complaints_config(settings, brand)
    agent = accounts.get_user(session, data.actor_id)
    tier = None
    if complaint.customer_id is not None:
        tier = session.scalar(select(Customer.tier).where(Customer.id == complaint.customer_id))
    rules = config.compensation
    row = match_compensation(
        rules,
        category=complaint.category,
        severity=complaint.severity.value,
        tier=tier,
        responsibility=complaint.responsibility.value if complaint.responsibility else None,
        kind=data.kind,
    )
    limit = rules.approval_limits.get(agent.username, rules.default_approval_limit)
    reasons = []
    if row is None:
        reasons.append(f"the matrix gives no {data.kind} for this case")
    elif not row.min <= data.amount <= row.max:
        reasons.append(f"{data.amount} is outside the range {row.min}–{row.max}")
    if data.amount > limit:
        reasons.append(f"{data.amount} is above {agent.username}'s approval limit {limit}")
    if reasons and data.approved_by is None:
        raise ApprovalRequiredError(
            "; ".join(reasons) + ": a manager must approve (approved_by)", reasons=reasons
        )
    if reasons and data.approved_by is not None:
        approver = accounts.get_user(session, data.approved_by)
        if approver.username not in rules.approvers or approver.id == agent.id:
            raise ApprovalRequiredError(
                f"{approver.username} may not approve this compensation", reasons=reasons
            )
    compensation = ComplaintCompensation(
        complaint_id=complaint.id,
        kind=data.kind,
        amount=data.amount,
        range_min=row.min if row else None,
        range_max=row.max if row else None,
        needs_approval=bool(reasons),
        approval_reason=(data.approval_reason or "; ".join(reasons))[:200] if reasons else None,
        approved_by=data.approved_by if reasons else None,
        given_by=agent.id,
        created_at=utcnow(),
    )
    session.add(compensation)
    session.flush()
    complaint.compensation_amount = (complaint.compensation_amount or Decimal(0)) + data.amount
    append_event(
        session,
        complaint,
        "compensation_approved" if reasons else "compensated",
        at=utcnow(),
        actor_id=agent.id,
        note=data.approval_reason,
        data={
            "compensation_id": compensation.id,
            "kind": data.kind,
            "amount": str(data.amount),
            "approved_by": compensation.approved_by,
            "reasons": reasons,
        },
    )
    return compensation


@dataclass(frozen=True)
class ConsistencyRow:
    """Spread of compensation given for like cases (same category and type)."""

    category: str
    kind: str
    n: int
    min: float
    median: float
    max: float
    iqr: float
    outliers: list[int]  # compensation ids beyond 1.5 IQR of the quartiles
    approvals: int


def consistency_report(session: Session, *, brand: str) -> list[ConsistencyRow]:
    brand_row = customers.get_brand(session, brand)
    rows = session.execute(
        select(
            Complaint.category,
            ComplaintCompensation.kind,
            ComplaintCompensation.id,
            ComplaintCompensation.amount,
            ComplaintCompensation.needs_approval,
        )
        .join(Complaint, Complaint.id == ComplaintCompensation.complaint_id)
        .where(Complaint.brand_id == brand_row.id)
    ).all()
    groups: dict[tuple[str, str], list[tuple[int, float, bool]]] = defaultdict(list)
    for category, kind, cid, amount, approval in rows:
        groups[(category or "(none)", kind)].append((cid, float(amount), approval))
    out = []
    for (category, kind), given in sorted(groups.items()):
        amounts = [a for _, a, _ in given]
        q1, q3 = percentile(amounts, 0.25) or 0.0, percentile(amounts, 0.75) or 0.0
        iqr = q3 - q1
        low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        out.append(
            ConsistencyRow(
                category=category,
                kind=kind,
                n=len(given),
                min=min(amounts),
                median=percentile(amounts, 0.5) or 0.0,
                max=max(amounts),
                iqr=iqr,
                outliers=[cid for cid, a, _ in given if a < low or a > high],
                approvals=sum(1 for *_, approval in given if approval),
            )
        )
    return out

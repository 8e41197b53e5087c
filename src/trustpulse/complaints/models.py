"""Tables for complaint cases and their append-only event log."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow


class ComplaintState(enum.StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    waiting_on_customer = "waiting_on_customer"
    resolved = "resolved"
    closed = "closed"


class Severity(enum.StrEnum):
    p1 = "P1"  # system fault
    p2 = "P2"  # service failure
    p3 = "P3"  # general complaint
    p4 = "P4"  # enquiry / consultation


class Responsibility(enum.StrEnum):
    """Who caused the problem: separates what the company can fix from what it cannot."""

    ours = "ours"  # our fault: product, service or process
    supplier = "supplier"  # a supplier or partner we chose (still ours to manage)
    customer = "customer"  # customer side: misuse, wrong expectations
    external = "external"  # third party, force majeure
    # older values, kept so imported rows stay readable; resolving through the API uses the above
    shared = "shared"
    not_ours = "not_ours"
    unknown = "unknown"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("brand_id", "source", "external_id"),
        Index("ix_complaints_brand_opened", "brand_id", "opened_at"),
        Index("ix_complaints_state_team", "state", "team_id"),
        Index("ix_complaints_owner_state", "owner_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # the customer's words that opened the case (also analysed by the text pipeline)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(120))
    external_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[Severity] = mapped_column(
        Enum(Severity, native_enum=False, length=4), default=Severity.p3
    )
    channel: Mapped[str] = mapped_column(String(40))
    product: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[ComplaintState] = mapped_column(
        Enum(ComplaintState, native_enum=False, length=30), default=ComplaintState.new
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    # first-responder ownership (首问负责制): set by the first agent to act
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    root_cause: Mapped[str | None] = mapped_column(String(120))
    responsibility: Mapped[Responsibility | None] = mapped_column(
        Enum(Responsibility, native_enum=False, length=20)
    )
    resolution_summary: Mapped[str | None] = mapped_column(Text)
    # needed more than one team or more than one solution attempt (complex-case resolution rate)
    is_complex: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )
    # optimistic locking: a stale write fails instead of overwriting a colleague's change
    version: Mapped[int] = mapped_column(Integer, default=1)
    # the customer's status page: an unguessable token (secrets.token_urlsafe), set on opening
    status_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # closed loop: received (opened_at) → attributed → improvement linked or no action needed
    # (with a reason) → customer notified; closed when all three happened
    attributed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    improvement_ref: Mapped[str | None] = mapped_column(String(200))
    no_action_reason: Mapped[str | None] = mapped_column(Text)
    action_linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    loop_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 -- SQLAlchemy's declared form


class ComplaintEvent(Base):
    """Append-only: every change of a complaint, the source of truth for its state."""

    __tablename__ = "complaint_events"
    __table_args__ = (
        UniqueConstraint("complaint_id", "seq"),
        Index("ix_complaint_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within one complaint
    kind: Mapped[str] = mapped_column(String(40))  # opened, acknowledged, replied, resolved ...
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaTarget(enum.StrEnum):
    first_response = "first_response"
    next_reply = "next_reply"  # restarts (cycle + 1) with each customer message awaiting a reply
    resolution = "resolution"
    public_reply = "public_reply"  # public reviews and posts: the first public answer


# the order clocks are listed in (and the bulk recompute writes them in)
TARGET_ORDER = {target: i for i, target in enumerate(SlaTarget)}


class SlaStatus(enum.StrEnum):
    active = "active"
    paused = "paused"
    fulfilled = "fulfilled"


class ComplaintSlaTarget(Base):
    """One SLA clock of a complaint, derived from its policy and event log (see complaints/sla.py).

    Times are in seconds of the clock's calendar (business seconds for business-hours policies).
    `warned_at`, `breached_at` and `escalation_level` are facts recorded by the escalation runner
    and survive recomputation within a cycle.
    """

    __tablename__ = "complaint_sla_targets"
    __table_args__ = (
        # only running clocks are ever looked up by their next check (escalation.py says
        # `status = 'active'` literally, so a generic plan can use it too)
        Index(
            "ix_complaint_sla_targets_due",
            "next_check_at",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    # no foreign key: these rows are derived from the log and rebuilt by a recompute, and
    # PostgreSQL checks a key per row under a row lock on the case, which was more than half
    # of writing a million cases' clocks (docs/complaints.md, "Bulk recomputation");
    # the application never deletes a case (it is closed), so nothing is left behind.
    # One clock per target and case: that pair is the key (no surrogate id, one index fewer)
    complaint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[SlaTarget] = mapped_column(
        Enum(SlaTarget, native_enum=False, length=20), primary_key=True
    )
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    policy: Mapped[str] = mapped_column(String(80))
    calendar: Mapped[str] = mapped_column(String(80))
    target_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while paused
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # escalations fired
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # next warning/breach
    status: Mapped[SlaStatus] = mapped_column(Enum(SlaStatus, native_enum=False, length=20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromiseStatus(enum.StrEnum):
    open = "open"
    kept = "kept"
    broken = "broken"


class ComplaintPromise(Base):
    """Something promised to the customer, due at a time; kept, or broken (and escalated)."""

    __tablename__ = "complaint_promises"
    __table_args__ = (Index("ix_complaint_promises_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[PromiseStatus] = mapped_column(
        Enum(PromiseStatus, native_enum=False, length=10), default=PromiseStatus.open
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # kept or broken


class ComplaintCompensation(Base):
    """Compensation given on a case, checked against the matrix; approvals are logged here."""

    __tablename__ = "complaint_compensations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # refund, coupon, points, warranty, credit
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    range_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    range_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_reason: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    given_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintSurveyInvitation(Base):
    """A follow-up survey invitation: one per resolution (cycle), single-use token."""

    __tablename__ = "complaint_survey_invitations"
    __table_args__ = (UniqueConstraint("complaint_id", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)  # the complaint's reopen_count when resolved
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))


class ComplaintRuleEvaluation(Base):
    """Marker: this feedback went through the case rules (so a second run opens nothing)."""

    __tablename__ = "complaint_rule_evaluations"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    rule: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))  # opened, joined, no_match
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL")
    )
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplaintContract(Base):
    """A (B2B) customer's contract: its SLA policy and credit rule are named in sla.yaml."""

    __tablename__ = "complaint_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    contract: Mapped[str] = mapped_column(String(80))
    monthly_fee: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceCredit(Base):
    """A credit earned by a contract SLA breach; force majeure exempts it (reason logged)."""

    __tablename__ = "complaint_service_credits"
    __table_args__ = (
        UniqueConstraint("complaint_id", "target", "cycle"),
        Index("ix_complaint_service_credits_customer", "customer_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contract: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the brand's zone
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    force_majeure: Mapped[bool] = mapped_column(Boolean, default=False)
    exemption_reason: Mapped[str | None] = mapped_column(Text)
    exempted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintHint(Base):
    """What the active hint models (text.yaml `hints`) suggest for a complaint's attribution.

    A suggestion for the resolve form, never the attribution itself: the agent decides, and
    the resolved `complaints.responsibility` wins wherever both exist. Labels are the models'
    own (a responsibility in Responsibility's values when the model was trained on them).
    """

    __tablename__ = "complaint_hints"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    responsibility: Mapped[str | None] = mapped_column(String(40))
    responsibility_score: Mapped[float | None] = mapped_column(Float)  # probability 0-1
    root_cause: Mapped[str | None] = mapped_column(String(120))
    root_cause_score: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(120), index=True)
    # complaints.content_hash when hinted: a different one means the text changed since
    content_hash: Mapped[str] = mapped_column(String(64))
    hinted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Tables for complaint cases and their append-only event log."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

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
    ours = "ours"  # our fault: product, service or process
    shared = "shared"
    not_ours = "not_ours"  # customer misuse, third party, force majeure
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
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )
    # optimistic locking: a stale write fails instead of overwriting a colleague's change
    version: Mapped[int] = mapped_column(Integer, default=1)
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

"""Tables for delayed and periodic jobs, so schedules survive restarts in both modes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow


class ScheduledJobStatus(enum.StrEnum):
    waiting = "waiting"
    enqueued = "enqueued"
    cancelled = "cancelled"


class ScheduledJob(Base):
    """A job to run at a time (delayed) or every interval (periodic, `every_seconds` set)."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(
        String(120)
    )  # registered job name, e.g. notifications.deliver
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    every_seconds: Mapped[int | None] = mapped_column(Integer)
    # one periodic schedule per key; a delayed job with a key is scheduled once
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[ScheduledJobStatus] = mapped_column(
        Enum(ScheduledJobStatus, native_enum=False, length=20), default=ScheduledJobStatus.waiting
    )
    last_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

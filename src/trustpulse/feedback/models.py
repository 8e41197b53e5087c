"""Tables for feedback records, their long-form scores, channels and journey touchpoints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow


class FeedbackKind(enum.StrEnum):
    survey = "survey"
    review = "review"
    social = "social"
    complaint = "complaint"  # the customer's own words that opened a complaint case


class JourneyStage(enum.StrEnum):
    awareness = "awareness"
    information = "information"
    purchase = "purchase"
    delivery = "delivery"
    use = "use"
    service = "service"
    sharing = "sharing"


class Channel(Base):
    """Catalogue of channels; feedback refers to it by code: a new channel never blocks import."""

    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))
    kind: Mapped[FeedbackKind | None] = mapped_column(
        Enum(FeedbackKind, native_enum=False, length=20)
    )


class Touchpoint(Base):
    """A step of the customer journey that can be scored (e.g. delivery_speed in `delivery`)."""

    __tablename__ = "touchpoints"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    stage: Mapped[JourneyStage] = mapped_column(Enum(JourneyStage, native_enum=False, length=20))
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        # natural key: re-importing the same source row finds it instead of duplicating it
        UniqueConstraint("brand_id", "source", "external_id"),
        # the dashboard access path: brand x time x channel
        Index("ix_feedback_brand_time_channel", "brand_id", "occurred_at", "channel"),
        Index("ix_feedback_customer_time", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[FeedbackKind] = mapped_column(Enum(FeedbackKind, native_enum=False, length=20))
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str | None] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str | None] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(120))
    external_id: Mapped[str] = mapped_column(String(200))
    # sha256 of the canonical content: same key + same hash = duplicate, different hash = update
    content_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Score(Base):
    """One score of one feedback (long form): new indicators need configuration, not migrations."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_metric", "metric"),)

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[float] = mapped_column(Float)

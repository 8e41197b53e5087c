"""Tables for daily rollups of survey scores and for improvement actions and trust investments.

Rollups hold only additive parts (n, sum, sum of squares, a histogram of the integer values
0-10 plus a count of other values), so every metric built from them equals the same metric
from raw rows; see metrics/rollups.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow

HISTOGRAM_VALUES = range(11)  # integer scores 0..10 each get a column h0 .. h10


class MetricRollup(Base):
    """One local day (brand zone) x brand x channel x touchpoint x segment x metric."""

    __tablename__ = "metric_rollups"
    __table_args__ = (Index("ix_metric_rollups_brand_metric_day", "brand_id", "metric", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # local date in the brand's time zone
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str | None] = mapped_column(String(60))
    segment: Mapped[str | None] = mapped_column(String(80))  # the customer's segment
    metric: Mapped[str] = mapped_column(String(60))
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    total_sq: Mapped[float] = mapped_column(Float)
    h0: Mapped[int] = mapped_column(Integer, default=0)
    h1: Mapped[int] = mapped_column(Integer, default=0)
    h2: Mapped[int] = mapped_column(Integer, default=0)
    h3: Mapped[int] = mapped_column(Integer, default=0)
    h4: Mapped[int] = mapped_column(Integer, default=0)
    h5: Mapped[int] = mapped_column(Integer, default=0)
    h6: Mapped[int] = mapped_column(Integer, default=0)
    h7: Mapped[int] = mapped_column(Integer, default=0)
    h8: Mapped[int] = mapped_column(Integer, default=0)
    h9: Mapped[int] = mapped_column(Integer, default=0)
    h10: Mapped[int] = mapped_column(Integer, default=0)
    h_other: Mapped[int] = mapped_column(Integer, default=0)  # values not an integer 0..10


class RollupState(Base):
    """How far the rollups have been built: the highest feedback id and updated_at seen."""

    __tablename__ = "metric_rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # "daily"
    max_feedback_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredResult(Base):
    """An expensive dashboard result (trust index, key drivers ...) kept for every process.

    Written by the `web.prepare` job after each rollup build, read by `metrics.cache.cached`
    when its own memory misses. `key` and `watermark` are SHA-256 digests of the cache key and
    of the data watermark it was computed at: a row is used only while the watermark is the
    same, so a result never outlives the data it describes. `payload` is a pickle written by
    this application only (whoever can write this table can change the database anyway).
    """

    __tablename__ = "metric_results"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    watermark: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))  # what was asked, for people reading the table
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seconds: Mapped[float] = mapped_column(Float)  # what it took to compute


class CustomerSegment(Base):
    """A customer's trust type and value tier, with the rule and numbers that decided them."""

    __tablename__ = "customer_segments"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    trust_type: Mapped[str] = mapped_column(String(40))
    value_tier: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TrustInvestment(Base):
    """One spend on trust (quality control, service capacity, transparency, training ...)."""

    __tablename__ = "trust_investments"
    __table_args__ = (Index("ix_trust_investments_brand_period", "brand_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))  # 2026-03, 2026Q1 ...
    cost: Mapped[float] = mapped_column(Float)
    expected_trust_gain: Mapped[float] = mapped_column(Float, default=0.0)  # trust points 0-100
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImprovementAction(Base):
    """An improvement action: the problem, what it should move, who owns it, cost and gain."""

    __tablename__ = "improvement_actions"
    __table_args__ = (Index("ix_improvement_actions_brand_status", "brand_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    problem: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(60))  # linked metric or dimension
    root_cause: Mapped[str | None] = mapped_column(String(120))
    owner: Mapped[str | None] = mapped_column(String(120))
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    done_date: Mapped[date | None] = mapped_column(Date)
    impact: Mapped[float] = mapped_column(Float)  # 0-10
    cost: Mapped[float] = mapped_column(Float)
    expected_gain: Mapped[float] = mapped_column(Float)  # points of the linked metric
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

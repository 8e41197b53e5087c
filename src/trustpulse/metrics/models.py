"""Tables for operational KPI measures (defect rate, availability ...), imported with --kind kpi."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow


class KpiMeasure(Base):
    """One value of one operational metric for one scope and period.

    The natural key is (brand, metric, scope, period): a re-import of the same measure updates it.
    """

    __tablename__ = "kpi_measures"
    __table_args__ = (
        UniqueConstraint("brand_id", "metric", "scope", "period"),
        Index("ix_kpi_measures_brand_metric_start", "brand_id", "metric", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(60))  # defect_rate, system_availability ...
    scope: Mapped[str] = mapped_column(String(120), default="all")  # product:X, region:Y, all
    period: Mapped[str] = mapped_column(String(20))  # 2026-03-05, 2026-W10, 2026-03, 2026Q1
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(120), default="import")
    content_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetricBenchmark(Base):
    """An external reference value (industry average, a competitor) of one metric and period.

    `brand` and `channel` are the slice it compares with ("" = any); the natural key is
    (metric, period, brand, channel, source): a re-import of the same row finds it.
    """

    __tablename__ = "metric_benchmarks"
    __table_args__ = (UniqueConstraint("metric", "period", "brand", "channel", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))  # 2026-03, 2026Q1 ... (periods.py labels)
    brand: Mapped[str] = mapped_column(String(60), default="")
    channel: Mapped[str] = mapped_column(String(60), default="")
    value: Mapped[float] = mapped_column(Float)
    n: Mapped[int | None] = mapped_column(Integer)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

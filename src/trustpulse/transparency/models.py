"""The transparency_snapshots table: one row per brand x quarter x version, never updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime


class TransparencySnapshot(Base):
    """Figures published for a brand's quarter; a correction is a new row with version + 1."""

    __tablename__ = "transparency_snapshots"
    __table_args__ = (UniqueConstraint("brand_id", "quarter", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # 2026Q3, in the brand's time zone
    version: Mapped[int] = mapped_column(Integer)  # 1 = first publication
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType)  # see service.publish_snapshot
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # None for version 1, required after

"""Tables for text analysis results: one row per analysed feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustpulse.db import Base, JSONType, UTCDateTime, utcnow


class FeedbackAnalysis(Base):
    """What the text pipeline found in one feedback's text.

    Holds only the redacted text: the raw text stays in feedback.text, the restricted column
    (personal data), which displays and exports should not read.
    """

    __tablename__ = "feedback_analysis"
    __table_args__ = (Index("ix_feedback_analysis_model_version", "model_version"),)

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(10))
    sentiment_label: Mapped[str | None] = mapped_column(String(40))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    redacted_text: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    aspects: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    topic: Mapped[str | None] = mapped_column(String(120))
    pii_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    model_version: Mapped[str] = mapped_column(String(120))
    # sha256 of feedback.text as analysed: a different hash means the text changed since
    text_hash: Mapped[str] = mapped_column(String(64))
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WatchHitRow(Base):
    """One watch-list term (canonical form) mentioned by one analysed feedback."""

    __tablename__ = "text_watch_hits"
    __table_args__ = (Index("ix_text_watch_hits_watchlist_term", "watchlist", "term"),)

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_analysis.feedback_id", ondelete="CASCADE"), primary_key=True
    )
    watchlist: Mapped[str] = mapped_column(String(80), primary_key=True)
    term: Mapped[str] = mapped_column(String(120), primary_key=True)

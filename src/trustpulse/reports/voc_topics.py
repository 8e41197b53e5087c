"""Voice of the customer topics: each topic's share of the filtered texts and the emerging ones.

Filtered like the rest of the VoC page (brand, local dates, channel, segment; reports.voc).
Texts are counted per topic and month in SQL, months cut in the brand's time zone; shares and
emerging topics then follow text.trends, so the page and `trustpulse text topics` agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.reports.voc import VocFilter, _scoped, _utc_hour
from trustpulse.text import trends
from trustpulse.text.config import TopicSettings
from trustpulse.text.models import FeedbackAnalysis


@dataclass(frozen=True)
class TopicShare:
    topic: str
    count: int  # texts in the filtered period
    share: float  # of the texts with a topic, 0-1
    latest_count: int  # texts in the latest month of the period
    latest_share: float | None  # of that month's texts with a topic


@dataclass(frozen=True)
class EmergingTopic:
    """A topic whose share in the latest month jumped against the months before (evidence)."""

    topic: str
    period: str
    count: int
    share: float
    baseline_share: float
    ratio: float  # Laplace-smoothed share / baseline share


@dataclass(frozen=True)
class TopicSummary:
    months: list[str]
    shares: list[TopicShare] = field(default_factory=list)  # largest first
    emerging: list[EmergingTopic] = field(default_factory=list)  # largest jump first
    rules: TopicSettings = field(default_factory=TopicSettings)

    @property
    def latest(self) -> str | None:
        return self.months[-1] if self.months else None

    @property
    def baseline(self) -> list[str]:
        """The months the latest one is compared with."""
        return self.months[-1 - self.rules.baseline_periods : -1]


def topic_counts(session: Session, flt: VocFilter) -> dict[str, Counter[str]]:
    """month (YYYY-MM, brand zone) -> topic -> texts; texts without a topic are left out."""
    hour = _utc_hour(session).label("hour")
    stmt, brand = _scoped(session, select(hour, FeedbackAnalysis.topic, func.count()), flt)
    stmt = stmt.where(FeedbackAnalysis.topic.is_not(None)).group_by(hour, FeedbackAnalysis.topic)
    zone = ZoneInfo(brand.timezone)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for bucket, topic, n in session.execute(stmt):
        moment = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        counts[moment.astimezone(zone).strftime("%Y-%m")][str(topic)] += int(n)
    return dict(sorted(counts.items()))


def topic_summary(session: Session, flt: VocFilter, *, rules: TopicSettings) -> TopicSummary:
    """Topic shares over the filtered period and the emerging topics of its latest month.

    Emerging follows text.trends.emerging_topics with `rules` (config/text.yaml `topics`): the
    latest month against the `baseline_periods` months before it, within the filter.
    """
    counts = topic_counts(session, flt)
    months = list(counts)
    total: Counter[str] = Counter()
    for topics in counts.values():
        total.update(topics)
    n = sum(total.values())
    latest: Counter[str] = counts[months[-1]] if months else Counter()
    latest_n = sum(latest.values())
    shares = [
        TopicShare(
            topic=topic,
            count=count,
            share=count / n,
            latest_count=latest[topic],
            latest_share=latest[topic] / latest_n if latest_n else None,
        )
        for topic, count in sorted(total.items(), key=lambda item: (-item[1], item[0]))
    ]
    emerging = [_emerging(row) for row in trends.emerging_topics(counts, rules)]
    return TopicSummary(months=months, shares=shares, emerging=emerging, rules=rules)


def _emerging(row: dict[str, Any]) -> EmergingTopic:
    return EmergingTopic(
        topic=str(row["topic"]),
        period=str(row["period"]),
        count=int(row["count"]),
        share=float(row["share"]),
        baseline_share=float(row["baseline_share"]),
        ratio=float(row["ratio"]),
    )

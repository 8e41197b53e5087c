"""What texts say over time: watch-list counts, the aspect x sentiment matrix, topic shares per
period and emerging topics. Periods are cut in each brand's own time zone."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from trustpulse.customers.models import Brand
from trustpulse.feedback.models import Feedback
from trustpulse.text.config import TopicSettings
from trustpulse.text.models import FeedbackAnalysis, WatchHitRow

Period = Literal["day", "week", "month"]
STREAM_ROWS = 10_000


def period_key(moment: datetime, timezone: str, by: Period) -> str:
    """2026-03-09 (day), 2026-W11 (ISO week, Monday first) or 2026-03 (month), local time."""
    local = moment.astimezone(ZoneInfo(timezone))
    if by == "day":
        return local.date().isoformat()
    if by == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def _stream(session: Session, query: AnySelect) -> Iterable[Any]:
    return session.execute(query.execution_options(yield_per=STREAM_ROWS))


AnySelect = Select[*tuple[Any, ...]]
_Q = TypeVar("_Q", bound=AnySelect)


def _scoped(query: _Q, brand_id: int | None) -> _Q:
    query = query.join(Brand, Brand.id == Feedback.brand_id)
    return query if brand_id is None else query.where(Feedback.brand_id == brand_id)


def watch_counts(
    session: Session, *, brand_id: int | None = None, by: Period = "month"
) -> list[dict[str, Any]]:
    """Feedback mentioning each watch-list term per period: [{period, watchlist, term, count}]."""
    query = _scoped(
        select(WatchHitRow.watchlist, WatchHitRow.term, Feedback.occurred_at, Brand.timezone).join(
            Feedback, Feedback.id == WatchHitRow.feedback_id
        ),
        brand_id,
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    for watchlist, term, occurred_at, timezone in _stream(session, query):
        counts[(period_key(occurred_at, timezone, by), watchlist, term)] += 1
    return [
        {"period": period, "watchlist": watchlist, "term": term, "count": n}
        for (period, watchlist, term), n in sorted(counts.items())
    ]


def aspect_matrix(session: Session, *, brand_id: int | None = None) -> list[dict[str, Any]]:
    """Per aspect: dimension, mentions by sentiment label, total and negative share."""
    query = _scoped(
        select(FeedbackAnalysis.aspects).join(
            Feedback, Feedback.id == FeedbackAnalysis.feedback_id
        ),
        brand_id,
    )
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    dimensions: dict[str, str] = {}
    for (aspects,) in _stream(session, query):
        for found in aspects or []:
            labels[found["aspect"]][found["sentiment_label"]] += 1
            dimensions[found["aspect"]] = found["dimension"]
    rows = []
    for aspect in sorted(labels):
        total = sum(labels[aspect].values())
        rows.append(
            {
                "aspect": aspect,
                "dimension": dimensions[aspect],
                "counts": dict(sorted(labels[aspect].items())),
                "total": total,
                "negative_share": round(labels[aspect]["negative"] / total, 4),
            }
        )
    return rows


def topic_counts(
    session: Session, *, brand_id: int | None = None, by: Period = "month"
) -> dict[str, Counter[str]]:
    """period -> topic label -> number of texts (texts without a topic are left out)."""
    query = _scoped(
        select(FeedbackAnalysis.topic, Feedback.occurred_at, Brand.timezone)
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .where(FeedbackAnalysis.topic.is_not(None)),
        brand_id,
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for topic, occurred_at, timezone in _stream(session, query):
        counts[period_key(occurred_at, timezone, by)][topic] += 1
    return dict(sorted(counts.items()))


def topic_shares(counts: dict[str, Counter[str]]) -> list[dict[str, Any]]:
    rows = []
    for period, topics in counts.items():
        total = sum(topics.values())
        for topic, n in sorted(topics.items()):
            rows.append(
                {"period": period, "topic": topic, "count": n, "share": round(n / total, 4)}
            )
    return rows


def emerging_topics(
    counts: dict[str, Counter[str]], settings: TopicSettings
) -> list[dict[str, Any]]:
    """Topics whose share in the latest period is >= emerging_ratio x their baseline share.

    Baseline: the `baseline_periods` periods before the latest, pooled; shares are
    Laplace-smoothed ((n + 1) / (total + topics)) so a topic absent from the baseline can emerge
    without dividing by zero. A topic also needs `emerging_min_count` texts in the latest period.
    """
    periods: Sequence[str] = sorted(counts)
    if len(periods) < 2:
        return []
    latest = counts[periods[-1]]
    baseline: Counter[str] = Counter()
    for period in periods[-1 - settings.baseline_periods : -1]:
        baseline.update(counts[period])
    topics = set(latest) | set(baseline)
    latest_total, baseline_total = sum(latest.values()), sum(baseline.values())
    found = []
    for topic in sorted(topics):
        share = (latest[topic] + 1) / (latest_total + len(topics))
        base = (baseline[topic] + 1) / (baseline_total + len(topics))
        ratio = share / base
        if ratio >= settings.emerging_ratio and latest[topic] >= settings.emerging_min_count:
            found.append(
                {
                    "topic": topic,
                    "period": periods[-1],
                    "count": latest[topic],
                    "share": round(latest[topic] / latest_total, 4),
                    "baseline_share": round(baseline[topic] / baseline_total, 4)
                    if baseline_total
                    else 0.0,
                    "ratio": round(ratio, 2),
                }
            )
    return sorted(found, key=lambda row: -float(row["ratio"]))

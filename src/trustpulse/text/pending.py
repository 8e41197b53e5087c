"""Which feedback the text pipeline still has to (re)analyse, and splitting it into id ranges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from trustpulse.feedback.models import Feedback
from trustpulse.text.models import FeedbackAnalysis


def pending_query(
    model_version: str,
    *,
    brand_id: int | None,
    since: datetime | None,
    start_id: int | None = None,
    end_id: int | None = None,
) -> Select[Any]:
    """Ids of feedback with text and no analysis by `model_version`, or touched since analysed.

    `start_id` / `end_id` bound the ids, both inclusive.
    """
    # The bounds go into the join condition too (same result: the ids are equal), so that
    # PostgreSQL's merge join starts the analysis index at start_id instead of scanning every
    # analysis below it once per batch (quadratic over a large backlog).
    on = [FeedbackAnalysis.feedback_id == Feedback.id]
    if start_id is not None:
        on.append(FeedbackAnalysis.feedback_id >= start_id)
    if end_id is not None:
        on.append(FeedbackAnalysis.feedback_id <= end_id)
    query = (
        select(Feedback.id)
        .outerjoin(FeedbackAnalysis, and_(*on))
        .where(Feedback.text.is_not(None))
        .where(
            or_(
                FeedbackAnalysis.feedback_id.is_(None),
                FeedbackAnalysis.model_version != model_version,
                FeedbackAnalysis.analysed_at < Feedback.updated_at,
            )
        )
    )
    if brand_id is not None:
        query = query.where(Feedback.brand_id == brand_id)
    if since is not None:
        query = query.where(Feedback.occurred_at >= since)
    if start_id is not None:
        query = query.where(Feedback.id >= start_id)
    if end_id is not None:
        query = query.where(Feedback.id <= end_id)
    return query


def count_pending(
    session: Session,
    model_version: str,
    *,
    brand_id: int | None = None,
    since: datetime | None = None,
    start_id: int | None = None,
    end_id: int | None = None,
) -> int:
    subquery = pending_query(
        model_version, brand_id=brand_id, since=since, start_id=start_id, end_id=end_id
    ).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def pending_ranges(
    session: Session,
    model_version: str,
    *,
    size: int,
    brand_id: int | None = None,
    since: datetime | None = None,
) -> list[tuple[int, int]]:
    """Inclusive (first id, last id) ranges holding `size` pending feedback each (the last one
    fewer), in id order: one query, numbering the pending ids with a window function."""
    pending = pending_query(model_version, brand_id=brand_id, since=since).subquery()
    numbered = select(
        pending.c.id,
        ((func.row_number().over(order_by=pending.c.id) - 1) // size).label("chunk"),
    ).subquery()
    rows = session.execute(
        select(func.min(numbered.c.id), func.max(numbered.c.id))
        .group_by(numbered.c.chunk)
        .order_by(numbered.c.chunk)
    ).all()
    return [(int(first), int(last)) for first, last in rows]

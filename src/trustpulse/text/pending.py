"""Which feedback the text pipeline still has to (re)analyse, and splitting it into id ranges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from trustpulse.feedback.models import Feedback
from trustpulse.text.models import FeedbackAnalysis


@dataclass(frozen=True)
class PendingScope:
    """The feedback one analyzer scores: of `brand_ids` (None: every brand) minus `excluded`
    (brands that have an analyzer of their own)."""

    model_version: str
    brand_ids: tuple[int, ...] | None = None
    excluded: tuple[int, ...] = ()


def pending_query(
    scope: PendingScope,
    *,
    since: datetime | None,
    start_id: int | None = None,
    end_id: int | None = None,
) -> Select[Any]:
    """Ids of feedback in `scope` with text and no analysis by its model version, or touched
    since analysed. `start_id` / `end_id` bound the ids, both inclusive.
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
                FeedbackAnalysis.model_version != scope.model_version,
                FeedbackAnalysis.analysed_at < Feedback.updated_at,
            )
        )
    )
    if scope.brand_ids is not None:
        query = query.where(Feedback.brand_id.in_(scope.brand_ids))
    if scope.excluded:
        query = query.where(Feedback.brand_id.not_in(scope.excluded))
    if since is not None:
        query = query.where(Feedback.occurred_at >= since)
    if start_id is not None:
        query = query.where(Feedback.id >= start_id)
    if end_id is not None:
        query = query.where(Feedback.id <= end_id)
    return query


def count_pending(
    session: Session,
    scope: PendingScope,
    *,
    since: datetime | None = None,
    start_id: int | None = None,
    end_id: int | None = None,
) -> int:
    subquery = pending_query(scope, since=since, start_id=start_id, end_id=end_id).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def pending_ranges(
    session: Session,
    scopes: Sequence[PendingScope],
    *,
    size: int,
    since: datetime | None = None,
) -> list[tuple[int, int]]:
    """Inclusive (first id, last id) ranges holding `size` pending feedback each (the last one
    fewer), in id order, over the pending feedback of every scope: one query, numbering the
    pending ids with a window function."""
    if not scopes:
        return []
    queries = [pending_query(scope, since=since) for scope in scopes]
    pending = (queries[0] if len(queries) == 1 else union_all(*queries)).subquery()
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

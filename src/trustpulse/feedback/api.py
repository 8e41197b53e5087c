"""HTTP routes for feedback: list with filters and paging, one record, submit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from trustpulse.customers.access import NewOrVisibleBrand, VisibleBrand
from trustpulse.db import DbSession
from trustpulse.feedback import service
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.feedback.schemas import FeedbackCreate, FeedbackOut, FeedbackPage

router = APIRouter(prefix="/feedback", tags=["feedback"])


def _out(feedback: Feedback, scores: dict[str, float]) -> FeedbackOut:
    out = FeedbackOut.model_validate(feedback)
    out.scores = scores
    return out


@router.get("", response_model=FeedbackPage)
def list_feedback(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    session: DbSession,
    brand: VisibleBrand,
    channel: str | None = None,
    kind: FeedbackKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> FeedbackPage:
    items, total = service.list_feedback(
        session,
        brand=brand,
        channel=channel,
        kind=kind,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    scores = service.scores_of(session, [f.id for f in items])
    return FeedbackPage(
        items=[_out(f, scores[f.id]) for f in items], total=total, limit=limit, offset=offset
    )


@router.get("/{feedback_id}", response_model=FeedbackOut)
def get_feedback(feedback_id: int, session: DbSession, brand: VisibleBrand) -> FeedbackOut:
    feedback = service.get_feedback(session, feedback_id, brand=brand)
    return _out(feedback, service.scores_of(session, [feedback.id])[feedback.id])


@router.post("", status_code=201, response_model=FeedbackOut)
def submit_feedback(
    body: FeedbackCreate, session: DbSession, brand: NewOrVisibleBrand
) -> FeedbackOut:
    feedback = service.submit_feedback(session, body, brand=brand)
    session.commit()
    return _out(feedback, service.scores_of(session, [feedback.id])[feedback.id])

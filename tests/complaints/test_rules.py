"""Cases from feedback by rule: open once, join the open case, public-reply clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk, kinds, sla
from tests.factories import make_customer
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints.config import ComplaintsConfig
from trustpulse.complaints.events import list_events
from trustpulse.complaints.models import Complaint, ComplaintRuleEvaluation
from trustpulse.complaints.rules import apply_rules
from trustpulse.config import Settings
from trustpulse.feedback import service as feedback_service
from trustpulse.feedback.models import Feedback
from trustpulse.feedback.schemas import FeedbackCreate


def _feedback(session: Session, key: str, **cells: Any) -> Feedback:
    cells.setdefault("occurred_at", utcnow().isoformat())
    cells.setdefault("customer_id", "C1")
    return feedback_service.submit_feedback(
        session, FeedbackCreate(external_id=key, **cells), brand="acme"
    )


def _complaints(session: Session) -> list[Complaint]:
    return list(session.scalars(select(Complaint).order_by(Complaint.id)))


def test_a_detractor_with_a_comment_opens_one_case_linked_to_it_however_often_rules_run(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    make_customer(session, external_id="C1")
    detractor = _feedback(session, "s1", kind="survey", nps=3, text="delivery was a mess")
    _feedback(session, "s2", kind="survey", nps=3)  # no comment: no case
    _feedback(session, "s3", kind="survey", nps=9, text="great")
    first = apply_rules(session, settings=settings, now=utcnow())
    second = apply_rules(session, settings=settings, now=utcnow())
    assert first.outcomes == {"opened": 1, "no_match": 2}
    assert second.evaluated == 0
    (case,) = _complaints(session)
    assert (case.feedback_id, case.category, case.channel) == (detractor.id, "detractor", "survey")
    marker = session.get(ComplaintRuleEvaluation, detractor.id)
    assert marker is not None
    assert (marker.rule, marker.complaint_id) == ("nps_detractor_with_comment", case.id)


def test_further_feedback_in_the_same_category_within_the_window_joins_the_open_case(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    make_customer(session, external_id="C1")
    _feedback(session, "s1", kind="survey", nps=2, text="late again")
    apply_rules(session, settings=settings, now=utcnow())
    clock.advance(timedelta(days=2))
    later = _feedback(session, "s2", kind="survey", nps=1, text="still nothing")
    run = apply_rules(session, settings=settings, now=utcnow())
    assert run.outcomes == {"joined": 1}
    (case,) = _complaints(session)
    message = [e for e in list_events(session, case.id) if e.kind == "replied"][-1]
    assert (message.note, message.data) == (
        "still nothing",
        {"author": "customer", "feedback_id": later.id},
    )
    clock.advance(timedelta(days=8))
    _feedback(session, "s3", kind="survey", nps=1, text="and again")
    assert apply_rules(session, settings=settings, now=utcnow()).outcomes == {"opened": 1}


def test_reviews_posts_and_history_follow_their_rules(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    make_customer(session, external_id="C1")
    _feedback(session, "r1", kind="review", rating=1, channel="tmall", text="bad", customer_id=None)
    _feedback(
        session, "p1", kind="social", channel="weibo", text="我要投诉这家店", customer_id=None
    )
    _feedback(session, "p2", kind="social", channel="weibo", text="nice shop", customer_id=None)
    old = (utcnow() - timedelta(days=90)).isoformat()
    _feedback(session, "r2", kind="review", rating=1, text="bad", occurred_at=old)
    run = apply_rules(session, settings=settings, now=utcnow())
    assert run.outcomes == {"opened": 2, "no_match": 1, "stale": 1}
    review, post = _complaints(session)
    assert (review.category, review.severity.value) == ("bad_review", "P3")
    assert (post.category, post.severity.value) == ("public_post", "P2")


def test_a_public_case_runs_a_first_public_reply_clock_of_its_own(
    api: Api, desk: Desk, clock: ManualClock
) -> None:
    c = api.open(title="1 star", channel="weibo", severity="P2")
    public = sla(c, "public_reply")
    assert (public["calendar"], public["target_seconds"]) == ("24x7", 24 * 3600)
    c = api.ok(c, "replies", author="agent", actor_id=desk.wang, message="DM us", channel="phone")
    assert sla(c, "first_response")["status"] == "fulfilled"
    assert sla(c, "public_reply")["status"] == "active"
    clock.advance(timedelta(hours=2))
    c = api.ok(c, "replies", author="agent", actor_id=desk.wang, message="sorry!", channel="weibo")
    assert sla(c, "public_reply")["status"] == "fulfilled"
    assert "sla_fulfilled" in kinds(c)
    private = api.open(title="call", channel="hotline")
    assert all(t["target"] != "public_reply" for t in private["sla"])


def test_rules_run_through_the_api_and_a_bad_rule_is_refused(
    api: Api, session: Session, desk: Desk, clock: ManualClock
) -> None:
    make_customer(session, external_id="C1")
    _feedback(session, "s1", kind="survey", nps=0, text="awful")
    body = api.client.post("/api/complaints/rules/run").json()
    assert body["outcomes"] == {"opened": 1}
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1
    with pytest.raises(ValidationError, match="needs a score, keyword or with_text"):
        ComplaintsConfig.model_validate({"rules": [{"name": "all", "category": "x"}]})
    with pytest.raises(ValidationError, match="min must not exceed max"):
        ComplaintsConfig.model_validate(
            {"rules": [{"name": "r", "category": "x", "scores": {"nps": {"min": 7, "max": 3}}}]}
        )


def test_a_case_opened_from_feedback_carries_no_personal_data(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    make_customer(session, external_id="C1")
    phone, id_number = "13812345678", "11010519491231002X"  # the ID passes its checksum
    text = f"call me on {phone}, ID {id_number}"
    _feedback(session, "s1", kind="survey", nps=2, text=text)
    apply_rules(session, settings=settings, now=utcnow())
    clock.advance(timedelta(days=1))
    _feedback(session, "s2", kind="survey", nps=1, text=f"still waiting, {phone}")
    assert apply_rules(session, settings=settings, now=utcnow()).outcomes == {"joined": 1}
    (case,) = _complaints(session)
    assert case.description == "call me on [PHONE], ID [ID_NUMBER]"
    assert (case.title or "").endswith(": call me on [PHONE], ID [ID_NUMBER]")
    replies = [e.note for e in list_events(session, case.id) if e.kind == "replied"]
    assert replies[-1] == "still waiting, [PHONE]"

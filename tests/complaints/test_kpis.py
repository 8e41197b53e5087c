"""Complaint metrics: complex-case resolution, broken promises, backlog, loop, follow-up CSAT,
business-hour resolution times, and grouping by agent, channel and severity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints.followup import create_invitation
from trustpulse.complaints.kpis import complaint_metrics
from trustpulse.complaints.promises import break_overdue_promises
from trustpulse.config import Settings

RESOLUTION = {"root_cause": "logistics.delay", "responsibility": "ours", "summary": "fixed"}


def test_the_desk_figures_add_up_per_agent(
    api: Api, desk: Desk, session: Session, settings: Settings, clock: ManualClock
) -> None:
    done = api.open(title="late", severity="P2", channel="hotline")
    done = api.ok(done, "acknowledge", actor_id=desk.wang)
    api.client.post(
        f"/api/complaints/{done['id']}/promises?brand=acme",
        json={"actor_id": desk.wang, "text": "call", "due_at": utcnow().isoformat()},
    )
    clock.advance(timedelta(hours=20))  # Monday 10:00 → Tuesday 06:00: 8 business hours
    break_overdue_promises(session, settings=settings, now=utcnow())
    done = api.ok(done, "resolve", actor_id=desk.wang, **RESOLUTION)
    done = api.ok(done, "reopen", reason="again")
    done = api.ok(done, "resolve", actor_id=desk.wang, **RESOLUTION)
    invitation = create_invitation(session, done["id"], 1, settings=settings)
    assert invitation is not None
    answer = {"csat": 4, "solved": True}
    assert api.client.post(f"/api/complaints/followup/{invitation.token}", json=answer).is_success
    api.open(title="waiting", channel="weibo", actor_id=desk.zhao)
    clock.advance(timedelta(hours=4))
    rows = complaint_metrics(session, brand="acme", now=utcnow(), by="agent", settings=settings)
    wang, zhao = rows
    assert (wang.group, wang.n, wang.resolved, wang.reopen_rate, wang.fcr_rate) == (
        "wang-acme", 1, 1, 1.0, 0.0,
    )  # fmt: skip
    assert (wang.complex_cases, wang.complex_resolution_rate) == (1, 1.0)
    assert (wang.promises_settled, wang.broken_promise_rate) == (1, 1.0)
    assert (wang.followup_answers, wang.followup_csat) == (1, 4.0)
    assert wang.median_resolution_hours == pytest.approx(20.0)
    assert wang.median_business_resolution_hours == pytest.approx(8.0)
    assert (zhao.group, zhao.backlog, zhao.median_backlog_age_hours) == ("zhao-acme", 1, 4.0)
    by_channel = complaint_metrics(session, brand="acme", now=utcnow(), by="channel")
    assert [r.group for r in by_channel] == ["hotline", "weibo"]
    by_severity = complaint_metrics(session, brand="acme", now=utcnow(), by="severity")
    assert [(r.group, r.n) for r in by_severity] == [("P2", 1), ("P3", 1)]


def test_reopen_rate_counts_reopened_cases_that_are_open_again(
    api: Api, desk: Desk, session: Session, settings: Settings
) -> None:
    for reopen in (True, True, False):
        case = api.open(title="late", severity="P2", channel="hotline")
        case = api.ok(case, "acknowledge", actor_id=desk.wang)
        case = api.ok(case, "resolve", actor_id=desk.wang, **RESOLUTION)
        if reopen:
            api.ok(case, "reopen", reason="again")
    (row,) = complaint_metrics(session, brand="acme", now=utcnow(), by="all", settings=settings)
    assert row.resolved == 1
    assert row.reopen_rate == pytest.approx(2 / 3)  # was 2 / 1: divided by resolved-now only

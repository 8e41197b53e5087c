"""Resolution and the closed loop: root causes, complexity, compensation, promises, the
customer's status page and progress notices, the loop, and the follow-up survey."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk, kinds, make_desk
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints.followup import create_invitation
from trustpulse.complaints.models import Complaint, ComplaintSurveyInvitation
from trustpulse.complaints.promises import break_overdue_promises
from trustpulse.config import Settings
from trustpulse.feedback.models import Feedback, Score
from trustpulse.jobs.models import ScheduledJob
from trustpulse.notifications.models import OutboxMessage

RESOLUTION = {
    "root_cause": "logistics.delay",
    "responsibility": "supplier",
    "summary": "courier re-dispatched the parcel",
}


def _resolved(api: Api, desk: Desk, **opened: str) -> dict[str, Any]:
    c = api.open(title="parcel late", **opened)
    c = api.ok(c, "acknowledge", actor_id=desk.wang)
    return api.ok(c, "resolve", actor_id=desk.wang, **RESOLUTION)


def test_root_cause_must_come_from_the_configured_tree(api: Api, desk: Desk) -> None:
    c = api.ok(api.open(title="x"), "acknowledge", actor_id=desk.wang)
    body = {**RESOLUTION, "root_cause": "bad.luck"}
    response = api.act(c, "resolve", actor_id=desk.wang, **body)
    assert (response.status_code, response.json()["field"]) == (422, "root_cause")
    assert "logistics.delay" in response.json()["allowed"]


def test_a_second_solution_attempt_makes_the_case_complex(
    api: Api, desk: Desk, clock: ManualClock
) -> None:
    c = _resolved(api, desk)
    assert c["is_complex"] is False
    c = api.ok(c, "reopen", reason="not fixed")
    c = api.ok(c, "resolve", actor_id=desk.wang, **RESOLUTION)
    assert c["is_complex"] is True


def test_compensation_outside_the_matrix_or_the_limit_needs_a_logged_approval(
    api: Api, session: Session, brand_config: Callable[[str, str, str], None]
) -> None:
    desk = make_desk(session, brand="comp")
    brand_config("comp", "complaints", "compensation:\n  approvers: [li-comp]\n")
    api = Api(api.client, brand="comp")
    c = _resolved(api, desk, category="logistics")
    url = f"/api/complaints/{c['id']}/compensations?brand=comp"
    ok = api.client.post(url, json={"actor_id": desk.wang, "kind": "coupon", "amount": "50"})
    assert (ok.status_code, ok.json()["range_max"]) == (201, "100.00")
    refused = api.client.post(url, json={"actor_id": desk.wang, "kind": "coupon", "amount": "150"})
    assert (refused.status_code, refused.json()["code"]) == (403, "approval_required")
    by_agent = {"actor_id": desk.wang, "kind": "coupon", "amount": "150", "approved_by": desk.zhao}
    assert api.client.post(url, json=by_agent).status_code == 403
    approved = api.client.post(
        url, json={**by_agent, "approved_by": desk.lead, "approval_reason": "third delay"}
    )
    assert approved.status_code == 201
    assert approved.json()["needs_approval"] is True
    assert "compensation_approved" in kinds(api.get(c["id"]))
    report = api.client.get("/api/complaints/reports/compensation-consistency?brand=comp").json()
    assert [(r["category"], r["kind"], r["n"]) for r in report] == [("logistics", "coupon", 2)]


def test_the_status_page_shows_state_next_step_and_promises_but_no_internals(
    api: Api, desk: Desk, session: Session, settings: Settings, clock: ManualClock
) -> None:
    c = api.open(title="parcel late")
    token = session.get(Complaint, c["id"]).status_token  # type: ignore[union-attr]
    assert token is not None
    assert len(token) >= 32
    c = api.ok(c, "acknowledge", actor_id=desk.wang, note="internal: courier is slow")
    due = (utcnow() + timedelta(hours=2)).isoformat()
    promised = api.client.post(
        f"/api/complaints/{c['id']}/promises?brand=acme",
        json={"actor_id": desk.wang, "text": "we call you back", "due_at": due},
    )
    assert promised.status_code == 201
    page = api.client.get(f"/api/complaints/status/{token}").json()
    assert (page["state"], page["headline"]) == ("acknowledged", "being handled")
    assert [p["text"] for p in page["promises"]] == ["we call you back"]
    assert "internal" not in str(page)
    assert not {"owner_id", "events", "note"} & set(page)
    assert api.client.get("/api/complaints/status/" + "x" * 32).status_code == 404
    notices = session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.dedupe_key.like("complaint-progress:%"))
    ).all()
    assert notices == [f"Your case #{c['id']} is being handled"]


def test_an_overdue_promise_is_broken_escalated_once_and_counted(
    api: Api, desk: Desk, session: Session, settings: Settings, clock: ManualClock
) -> None:
    c = api.open(title="call me", team_id=desk.team_id)
    due = (utcnow() + timedelta(hours=1)).isoformat()
    pid = api.client.post(
        f"/api/complaints/{c['id']}/promises?brand=acme",
        json={"actor_id": desk.wang, "text": "call back in an hour", "due_at": due},
    ).json()["id"]
    assert break_overdue_promises(session, settings=settings, now=utcnow()) == []
    clock.advance(timedelta(hours=2))
    assert break_overdue_promises(session, settings=settings, now=utcnow()) == [pid]
    assert break_overdue_promises(session, settings=settings, now=utcnow()) == []
    broken = [e for e in api.get(c["id"])["events"] if e["kind"] == "promise_broken"]
    assert [e["data"]["notify"] for e in broken] == ["team_lead"]
    settle = api.client.post(
        f"/api/complaints/{c['id']}/promises/{pid}/settle?brand=acme",
        json={"actor_id": desk.wang, "kept": True},
    )
    assert settle.status_code == 409


def test_the_loop_closes_after_attribution_action_and_notice(
    api: Api, desk: Desk, clock: ManualClock
) -> None:
    c = _resolved(api, desk)
    url = f"/api/complaints/{c['id']}/loop?brand=acme"
    assert api.client.post(url, json={"actor_id": desk.wang}).status_code == 422
    clock.advance(timedelta(days=1))
    body = {"actor_id": desk.wang, "improvement_ref": "JIRA-42 courier SLA review"}
    assert api.client.post(url, json=body).status_code == 200
    c = api.get(c["id"])
    assert "improvement_linked" in kinds(c)


def test_followup_survey_is_scheduled_single_use_and_not_solved_reopens(
    api: Api, desk: Desk, session: Session, settings: Settings, clock: ManualClock
) -> None:
    c = _resolved(api, desk)
    scheduled = session.scalar(
        select(ScheduledJob).where(ScheduledJob.key == f"complaint-followup:{c['id']}:0")
    )
    assert scheduled is not None
    assert scheduled.run_at == utcnow() + timedelta(hours=72)
    invitation = create_invitation(session, c["id"], 0, settings=settings)
    assert invitation is not None
    assert create_invitation(session, c["id"], 0, settings=settings) is invitation
    url = f"/api/complaints/followup/{invitation.token}"
    answer = {"csat": 2, "solved": False, "nps": 4, "comment": "still broken"}
    first = api.client.post(url, json=answer)
    assert first.status_code == 201
    again = api.client.post(url, json=answer)
    assert (again.status_code, again.json()["code"]) == (409, "invitation_used")
    c = api.get(c["id"])
    assert (c["state"], c["reopen_count"]) == ("in_progress", 1)
    feedback = session.get(Feedback, first.json()["feedback_id"])
    assert feedback is not None
    assert (feedback.kind.value, feedback.text) == ("survey", "still broken")
    scores = {
        row.metric: row.value
        for row in session.execute(
            select(Score.metric, Score.value).where(Score.feedback_id == feedback.id)
        )
    }
    assert scores == {"csat": 2.0, "nps": 4.0, "solved": 0.0}
    stored = session.scalar(select(ComplaintSurveyInvitation))
    assert stored is not None
    assert stored.feedback_id == feedback.id

"""The customer's pages: case status by token and the follow-up survey form."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from tests.web.conftest import EVIL_TEXT
from tests.web.desk_fixtures import *  # noqa: F403 -- the desk's fixtures: api, client, clock, desk
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints.followup import create_invitation
from trustpulse.complaints.models import Complaint
from trustpulse.config import Settings

RESOLUTION = {"root_cause": "logistics.delay", "responsibility": "ours", "summary": "resent"}


def _resolved_case(api: Api, desk: Desk, title: str = "包裹延误") -> dict[str, object]:
    case = api.open(title=title, severity="P2", channel="hotline")
    case = api.ok(case, "acknowledge", actor_id=desk.wang)
    api.client.post(
        f"/api/complaints/{case['id']}/promises?brand=acme",
        json={"actor_id": desk.wang, "text": "明天回电", "due_at": utcnow().isoformat()},
    )
    return api.ok(case, "resolve", actor_id=desk.wang, **RESOLUTION)


def test_status_page_shows_state_and_promises_but_no_internal_notes(
    client: TestClient, api: Api, desk: Desk, session: Session
) -> None:
    case = _resolved_case(api, desk, title=EVIL_TEXT)
    complaint = session.get_one(Complaint, case["id"])
    token = complaint.status_token
    page = client.get(f"/case/{token}?lang=zh-CN")
    assert page.status_code == 200
    assert "已解决" in page.text
    assert "明天回电" in page.text
    assert "resent" not in page.text  # the resolution summary is internal
    assert "<script>alert" not in page.text  # the customer's own title renders inert
    english = client.get(f"/case/{token}?lang=en").text
    assert "Your case is resolved." in english
    assert client.get("/case/not-a-real-token-at-all").status_code == 404


def test_survey_form_validates_stores_once_and_reopens_when_not_solved(
    client: TestClient, api: Api, desk: Desk, session: Session, settings: Settings
) -> None:
    case = _resolved_case(api, desk)
    cid = int(str(case["id"]))
    invitation = create_invitation(session, cid, 0, settings=settings)
    assert invitation is not None
    url = f"/survey/{invitation.token}?lang=en"
    form = client.get(url)
    assert form.status_code == 200
    assert 'name="csat"' in form.text
    missing = client.post(url, data={"solved": "no", "comment": "still broken"})
    assert missing.status_code == 422
    assert 'id="error-csat"' in missing.text
    assert "still broken" in missing.text  # what the customer typed is kept
    assert api.get(cid)["state"] == "resolved"  # nothing stored yet
    answered = client.post(url, data={"csat": "2", "solved": "no", "nps": "3"})
    assert answered.status_code == 201
    assert "reopened" in answered.text
    assert api.get(cid)["state"] == "in_progress"
    again = client.post(url, data={"csat": "5", "solved": "yes"})
    assert again.status_code == 409
    assert "already been answered" in again.text
    assert "already been answered" in client.get(url).text


def test_expired_and_unknown_survey_links_say_so(
    api: Api, desk: Desk, session: Session, settings: Settings, clock: ManualClock
) -> None:
    client = api.client
    case = _resolved_case(api, desk)
    invitation = create_invitation(session, int(str(case["id"])), 0, settings=settings)
    assert invitation is not None
    clock.advance(timedelta(days=400))
    assert "has expired" in client.get(f"/survey/{invitation.token}?lang=en").text
    expired = client.post(
        f"/survey/{invitation.token}?lang=en", data={"csat": "5", "solved": "yes"}
    )
    assert expired.status_code == 409
    unknown = client.get("/survey/nope?lang=en")
    assert (unknown.status_code, "does not lead to a survey" in unknown.text) == (404, True)

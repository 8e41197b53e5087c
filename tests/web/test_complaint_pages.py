"""The complaint desk pages over HTTP: queue order and filters, the forms, stale versions, text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from tests.web.conftest import EVIL_TEXT
from tests.web.desk_fixtures import *  # noqa: F403 -- the desk's fixtures: api, client, clock, desk
from trustpulse.clock import ManualClock
from trustpulse.complaints.followup import create_invitation
from trustpulse.config import Settings

ROW = re.compile(r'<tr data-complaint="(\d+)">')
FLASH = re.compile(r'id="flash">([^<]*)<')


def _queue(client: TestClient, query: str = "") -> list[int]:
    page = client.get(f"/complaints?brand=acme&lang=en{query}")
    assert page.status_code == 200, page.text
    return [int(n) for n in ROW.findall(page.text)]


def _post(client: TestClient, api: Api, cid: int, action: str, **form: str) -> Any:
    body = {"version": str(api.get(cid)["version"]), **form}
    return client.post(
        f"/complaints/{cid}/{action}?brand=acme&lang=en", data=body, follow_redirects=False
    )


def test_queue_puts_the_earliest_running_deadline_first(
    client: TestClient, api: Api, desk: Desk, clock: ManualClock
) -> None:
    general = api.open(title="general", severity="P3", team_id=desk.team_id)
    clock.advance(timedelta(minutes=1))
    fault = api.open(title="fault", severity="P1", team_id=desk.team_id)
    service = api.open(title="service", severity="P2", team_id=desk.team_id)
    assert _queue(client) == [fault["id"], service["id"], general["id"]]
    html = client.get("/complaints?brand=acme&lang=en").text
    assert 'class="countdown' in html
    assert "15m 0s left" in html  # rendered by the server: works without JavaScript
    assert re.search(r'data-due="2025-06-09T02:16:00\+00:00"', html)


def test_queue_filters_by_severity_team_owner_state_and_breaching(
    client: TestClient, api: Api, desk: Desk, clock: ManualClock
) -> None:
    fault = api.open(title="fault", severity="P1", team_id=desk.team_id)
    general = api.open(title="general", severity="P3")
    api.ok(general, "acknowledge", actor_id=desk.wang)
    assert _queue(client, "&severity=P3") == [general["id"]]
    assert _queue(client, f"&team={desk.team_id}") == [fault["id"]]
    assert _queue(client, f"&owner={desk.wang}") == [general["id"]]
    assert _queue(client, "&state=new") == [fault["id"]]
    assert _queue(client, "&breaching=1") == []
    clock.advance(timedelta(minutes=20))  # past the P1 first-response target (15 min)
    assert _queue(client, "&breaching=1") == [fault["id"]]
    html = client.get("/complaints?brand=acme&lang=en&breaching=1").text
    assert "overdue" in html
    # the queue filters survive the global filter form as hidden fields
    assert '<input type="hidden" name="breaching" value="1">' in html


def test_queue_exports_the_rows_it_shows(client: TestClient, api: Api, desk: Desk) -> None:
    api.open(title="fault", severity="P1", team_id=desk.team_id)
    csv = client.get("/complaints?brand=acme&lang=zh-CN&export=csv")
    lines = csv.content.decode("utf-8").strip().splitlines()
    assert lines[0].startswith("\ufeff投诉,状态,级别")
    assert len(lines) == 2
    assert "首次响应" in lines[1]


def test_forms_walk_a_complaint_from_new_to_resolved_and_reopened(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    agent = str(desk.wang)
    steps: list[tuple[str, dict[str, str], str]] = [
        ("acknowledge", {"actor_id": agent}, "acknowledged"),
        ("reply", {"actor_id": agent, "message": "we are on it"}, "acknowledged"),
        ("progress", {"actor_id": agent}, "in_progress"),
        ("waiting", {"actor_id": agent, "note": "photo please"}, "waiting_on_customer"),
        ("reply", {"actor_id": agent, "author": "customer", "message": "photo"}, "in_progress"),
        ("transfer", {"actor_id": agent, "to_user_id": str(desk.zhao), "reason": "expert"},
         "in_progress"),
        ("resolve", {"actor_id": str(desk.zhao), "root_cause": "logistics.delay",
                     "responsibility": "supplier", "summary": "courier fixed"}, "resolved"),
        ("close", {"actor_id": str(desk.zhao)}, "closed"),
        ("reopen", {"actor_id": str(desk.zhao), "reason": "still broken"}, "in_progress"),
    ]  # fmt: skip
    for action, form, state in steps:
        response = _post(client, api, cid, action, **form)
        assert response.status_code == 303, (action, FLASH.findall(response.text))
        assert response.headers["location"].startswith(f"/complaints/{cid}?")
        assert api.get(cid)["state"] == state, action
    case = api.get(cid)
    assert case["owner_id"] == desk.zhao
    assert case["reopen_count"] == 1
    page = client.get(f"/complaints/{cid}?brand=acme&lang=en&done=reopen").text
    assert "Saved." in page
    kinds = re.findall(r'<li class="event" data-kind="(\w+)">', page)
    assert kinds[0] == "reopened"  # the timeline is newest first
    assert kinds[-1] == "opened"


def test_resolving_stops_the_clock_and_shows_met(client: TestClient, api: Api, desk: Desk) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    assert _post(client, api, cid, "acknowledge", actor_id=str(desk.wang)).status_code == 303
    form = {"root_cause": "product.defect", "responsibility": "ours", "summary": "replaced"}
    assert _post(client, api, cid, "resolve", actor_id=str(desk.wang), **form).status_code == 303
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    clocks = html[html.index('id="clocks"') : html.index("</table>", html.index('id="clocks"'))]
    assert 'data-state="met"' in clocks
    assert "data-due" not in clocks  # a stopped clock never counts down
    assert "product / defect" in html  # the root-cause path, named part by part


def test_a_stale_form_gets_409_and_the_reloaded_case(
    client: TestClient, api: Api, desk: Desk
) -> None:
    complaint = api.open(title="fault", severity="P2", team_id=desk.team_id)
    api.ok(complaint, "acknowledge", actor_id=desk.lead)  # a colleague acts first
    stale = client.post(
        f"/complaints/{complaint['id']}/reply?brand=acme&lang=en",
        data={"version": str(complaint["version"]), "actor_id": str(desk.wang), "message": "hi"},
        follow_redirects=False,
    )
    assert stale.status_code == 409
    assert FLASH.findall(stale.text) == [
        "Someone else changed this complaint; it was reloaded. Check and retry."
    ]
    assert ">hi</textarea>" in stale.text  # what the agent typed is kept
    assert f'name="version" value="{api.get(complaint["id"])["version"]}"' in stale.text
    assert "replied" not in [e["kind"] for e in api.get(complaint["id"])["events"]]


def test_refused_changes_show_why_and_save_nothing(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    no_reason = _post(client, api, cid, "transfer", actor_id=str(desk.wang), to_user_id="1")
    assert no_reason.status_code == 422
    assert "reason" in FLASH.findall(no_reason.text)[0]
    bad_cause = _post(
        client,
        api,
        cid,
        "resolve",
        actor_id=str(desk.wang),
        root_cause="nowhere",
        responsibility="ours",
        summary="x",
    )
    assert bad_cause.status_code == 409  # a new complaint cannot be resolved
    assert api.get(cid)["state"] == "new"
    assert client.get("/complaints/999999?brand=acme").status_code == 404


def test_customer_text_without_analysis_is_shown_redacted_and_escaped(
    client: TestClient, api: Api, desk: Desk
) -> None:
    described = EVIL_TEXT + " 电话 13812345678"
    cid = api.open(title="<b>x</b>", description=described, team_id=desk.team_id)["id"]
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;{{ 7*7 }}" in html
    assert "markup-probe 电话 [PHONE]" in html
    assert "13812345678" not in html
    assert "<b>x</b>" not in html
    assert "personal data redacted" in html


def test_acting_agent_defaults_to_the_teams_first_agent(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", team_id=desk.team_id)["id"]
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    assert f'<option value="{desk.lead}" selected>' in html  # li-acme sorts first
    chosen = client.get(f"/complaints/{cid}?brand=acme&lang=en&agent={desk.zhao}").text
    assert f'name="actor_id" value="{desk.zhao}"' in chosen


def test_demo_case_shows_the_redacted_text(demo_client: TestClient) -> None:
    queue = demo_client.get("/complaints?brand=aurora&lang=en&state=all").text
    first = ROW.findall(queue)[0]
    html = demo_client.get(f"/complaints/{first}?brand=aurora&lang=en").text
    assert "personal data redacted" in html
    assert not re.search(r"1[3-9]\d{9}", html)


def _section(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def test_promise_form_records_a_promise_in_local_time_then_marks_it_kept(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    made = _post(
        client, api, cid, "promise", actor_id=str(desk.wang),
        promise_text="we call you back", due_at="2025-06-10T18:00",
    )  # fmt: skip
    assert made.status_code == 303, FLASH.findall(made.text)
    promised = [e for e in api.get(cid)["events"] if e["kind"] == "promised"]
    assert promised[0]["data"]["due_at"] == "2025-06-10T18:00:00+08:00"  # the brand zone
    rows = _section(client.get(f"/complaints/{cid}?brand=acme&lang=en").text, "promises")
    assert 'data-status="open"' in rows
    assert "we call you back" in rows
    assert "6/10/25, 6:00\u202fPM" in rows
    pid = re.findall(r'data-promise="(\d+)"', rows)[0]
    kept = _post(client, api, cid, "settle", actor_id=str(desk.wang), promise_id=pid, kept="1")
    assert kept.status_code == 303, FLASH.findall(kept.text)
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    assert 'data-status="kept"' in _section(html, "promises")
    assert f'id="settle-{pid}"' not in html  # a settled promise offers no buttons
    assert "Promise kept" in html[html.index('id="timeline"') :]
    again = _post(client, api, cid, "settle", actor_id=str(desk.wang), promise_id=pid, kept="0")
    assert again.status_code == 409
    assert "already kept" in FLASH.findall(again.text)[0]


def test_a_promise_without_a_valid_due_time_is_refused(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    for due in ("", "tomorrow"):
        refused = _post(
            client, api, cid, "promise", actor_id=str(desk.wang),
            promise_text="we call you back", due_at=due,
        )  # fmt: skip
        assert refused.status_code == 422
        assert "due_at" in FLASH.findall(refused.text)[0]
        assert 'value="we call you back"' in refused.text  # what the agent typed is kept
    assert "promised" not in [e["kind"] for e in api.get(cid)["events"]]


def test_followup_result_shows_scheduled_sent_then_the_customers_answer(
    client: TestClient, api: Api, desk: Desk, session: Session, settings: Settings
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    assert _post(client, api, cid, "acknowledge", actor_id=str(desk.wang)).status_code == 303
    form = {"root_cause": "product.defect", "responsibility": "ours", "summary": "replaced"}
    assert _post(client, api, cid, "resolve", actor_id=str(desk.wang), **form).status_code == 303
    url = f"/complaints/{cid}?brand=acme&lang=en"
    scheduled = _section(client.get(url).text, "followups")
    assert 'data-status="scheduled"' in scheduled
    assert "goes out 6/12/25, 10:00\u202fAM" in scheduled  # 72 h after resolution
    invitation = create_invitation(session, cid, 0, settings=settings)  # what the job does
    assert invitation is not None
    sent = _section(client.get(url).text, "followups")
    assert re.findall(r'data-status="(\w+)"', sent) == ["sent"]
    answer = {"csat": 4, "solved": True, "nps": 9}
    response = client.post(f"/api/complaints/followup/{invitation.token}", json=answer)
    assert response.status_code == 201
    answered = _section(client.get(url).text, "followups")
    assert re.findall(r'data-status="(\w+)"', answered) == ["answered"]
    assert '<td class="csat">4</td>' in answered
    assert '<td class="text solved">yes</td>' in answered
    chinese = _section(client.get(f"/complaints/{cid}?brand=acme&lang=zh-CN").text, "followups")
    assert "已回答" in chinese
    assert '<td class="text solved">是</td>' in chinese


def test_timeline_exports_newest_first_with_notes_neutralised(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    agent = str(desk.wang)
    assert _post(client, api, cid, "acknowledge", actor_id=agent).status_code == 303
    note = "=cmd|' /C calc'!A0"
    assert _post(client, api, cid, "waiting", actor_id=agent, note=note).status_code == 303
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    assert 'data-table="timeline"' in html
    url = f"/complaints/{cid}?brand=acme&lang=en&table=timeline"
    response = client.get(url + "&export=xlsx")
    assert f"complaint-{cid}-timeline.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Date", "Event", "By", "From", "To", "Channel", "Details", "Note"]
    kinds = re.findall(r'data-kind="(\w+)"', html)
    assert len(rows) == len(kinds) + 1  # every event on the page, SLA ones included
    assert rows[-1][1] == "Opened"  # newest first, like the page
    waiting = next(r for r in rows if r[4] == "waiting on customer")
    assert waiting[3] == "acknowledged"
    assert waiting[7] == "'" + note
    csv = client.get(url + "&export=csv").content.decode("utf-8-sig")
    assert "'=cmd" in csv


def test_compensation_form_shows_the_standard_and_needs_a_managers_approval_beyond_it(
    client: TestClient,
    api: Api,
    desk: Desk,
    brand_config: Callable[[str, str, str], None],
) -> None:
    brand_config("acme", "complaints", "compensation:\n  approvers: [li-acme]\n")
    opened = api.open(title="parcel late", category="logistics", team_id=desk.team_id)
    cid = opened["id"]
    _post(client, api, cid, "acknowledge", actor_id=str(desk.wang))
    resolved = _post(
        client, api, cid, "resolve", actor_id=str(desk.wang), root_cause="logistics.delay",
        responsibility="supplier", summary="courier re-dispatched",
    )  # fmt: skip
    assert resolved.status_code == 303, FLASH.findall(resolved.text)
    page = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    standards = page[page.index('id="standards"') : page.index('id="compensations"')]
    # the default matrix for a logistics case the supplier caused, in the form's type order
    offered = re.findall(r'data-compensation-kind="(\w+)"', standards)
    assert offered == ["refund", "coupon", "points"]
    assert "coupon 10–100" in standards
    assert "No compensation given." in _section(page, "compensations")

    given = _post(client, api, cid, "compensate", actor_id=str(desk.wang), kind="coupon",
                  amount="50")  # fmt: skip
    assert given.status_code == 303, FLASH.findall(given.text)
    refused = _post(client, api, cid, "compensate", actor_id=str(desk.wang), kind="coupon",
                    amount="150")  # fmt: skip
    assert refused.status_code == 403
    assert "150 is outside the range 10–100" in FLASH.findall(refused.text)[0]
    assert 'value="150"' in refused.text  # what the agent typed is kept
    approved = _post(
        client, api, cid, "compensate", actor_id=str(desk.wang), kind="coupon", amount="150",
        approved_by=str(desk.lead), approval_reason="third delay this month",
    )  # fmt: skip
    assert approved.status_code == 303, FLASH.findall(approved.text)
    bad = _post(client, api, cid, "compensate", actor_id=str(desk.wang), kind="coupon",
                amount="lots")  # fmt: skip
    assert (bad.status_code, "amount" in FLASH.findall(bad.text)[0]) == (422, True)

    rows = _section(client.get(f"/complaints/{cid}?brand=acme&lang=en").text, "compensations")
    assert re.findall(r'data-compensation="\d+" data-approval="(\d)"', rows) == ["0", "1"]
    assert "within the standard" in rows
    assert "Li · third delay this month" in rows
    kinds = [e["kind"] for e in api.get(cid)["events"]]
    assert (kinds.count("compensated"), kinds.count("compensation_approved")) == (1, 1)


def test_closing_the_loop_from_the_case_page_needs_an_action_or_a_reason(
    client: TestClient, api: Api, desk: Desk
) -> None:
    cid = api.open(title="fault", severity="P2", team_id=desk.team_id)["id"]
    assert 'id="form-loop"' not in client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    _post(client, api, cid, "acknowledge", actor_id=str(desk.wang))
    _post(
        client, api, cid, "resolve", actor_id=str(desk.wang), root_cause="logistics.delay",
        responsibility="ours", summary="fixed",
    )  # fmt: skip
    neither = _post(client, api, cid, "loop", actor_id=str(desk.wang))
    assert neither.status_code == 422
    linked = _post(client, api, cid, "loop", actor_id=str(desk.wang), improvement_ref="IA-12")
    assert linked.status_code == 303, FLASH.findall(linked.text)
    page = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    loop_panel = page[page.index('id="loop"') : page.index('id="loop-closed"')]
    assert "IA-12" in loop_panel
    assert "improvement_linked" in [e["kind"] for e in api.get(cid)["events"]]

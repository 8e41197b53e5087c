"""Lifecycle, ownership, SLA clocks and optimistic locking through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk, kinds, make_desk, sla
from tests.factories import make_customer
from trustpulse.clock import ManualClock
from trustpulse.complaints import intake
from trustpulse.complaints.events import list_events, replay_state
from trustpulse.complaints.models import Complaint

RESOLUTION = {
    "root_cause": "logistics.delay",
    "responsibility": "supplier",
    "summary": "courier re-dispatched the parcel",
}


def test_full_lifecycle_is_logged_and_the_log_replays_to_the_stored_state(
    api: Api, desk: Desk, session: Session, clock: ManualClock
) -> None:
    c = api.open(title="parcel late", severity="P2", channel="hotline")
    assert c["state"] == "new"
    assert c["owner_id"] is None
    c = api.ok(c, "acknowledge", actor_id=desk.wang)
    c = api.ok(c, "progress", actor_id=desk.wang)
    c = api.ok(c, "waiting", actor_id=desk.wang, note="asked for the order number")
    clock.advance(timedelta(hours=1))
    c = api.ok(c, "replies", author="customer", message="order 42", channel="wechat")
    assert c["state"] == "in_progress"
    c = api.ok(c, "resolve", actor_id=desk.wang, **RESOLUTION)
    c = api.ok(c, "close", actor_id=desk.wang)
    c = api.ok(c, "reopen", reason="parcel still missing")
    assert (c["state"], c["reopen_count"], c["resolved_at"]) == ("in_progress", 1, None)
    lifecycle = [k for k in kinds(c) if not k.startswith("sla_")]
    assert lifecycle == [
        "opened", "acknowledged", "owner_assigned", "state_changed", "state_changed",
        "replied", "resolved", "closed", "reopened",
    ]  # fmt: skip
    reply = next(e for e in c["events"] if e["kind"] == "replied")
    assert (reply["channel"], reply["from_state"], reply["to_state"]) == (
        "wechat", "waiting_on_customer", "in_progress",
    )  # fmt: skip
    stored = session.get(Complaint, c["id"])
    assert stored is not None
    assert replay_state(list_events(session, c["id"])) == stored.state


def test_illegal_transitions_are_refused_with_a_stable_code(api: Api, desk: Desk) -> None:
    c = api.open(title="x")
    response = api.act(c, "resolve", actor_id=desk.wang, **RESOLUTION)
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert (response.json()["from_state"], response.json()["to_state"]) == ("new", "resolved")
    c = api.ok(c, "acknowledge", actor_id=desk.wang)
    assert api.act(c, "close", actor_id=desk.wang).json()["code"] == "illegal_transition"
    assert api.act(c, "reopen", reason="?").json()["code"] == "illegal_transition"


def test_first_responder_owns_the_case_until_an_explicit_transfer(api: Api, desk: Desk) -> None:
    c = api.open(title="broken kettle", severity="P3")
    c = api.ok(c, "replies", author="agent", actor_id=desk.wang, message="sorry, checking")
    assert (c["state"], c["owner_id"]) == ("acknowledged", desk.wang)
    c = api.ok(c, "replies", author="agent", actor_id=desk.zhao, message="colleague here")
    assert c["owner_id"] == desk.wang  # helping does not take the case over
    assert api.act(c, "transfer", actor_id=desk.wang, to_user_id=desk.zhao).status_code == 422
    c = api.ok(c, "transfer", actor_id=desk.wang, to_user_id=desk.zhao, reason="night shift")
    assert c["owner_id"] == desk.zhao
    moved = next(e for e in c["events"] if e["kind"] == "transferred")
    assert (moved["note"], moved["data"]["from_owner_id"]) == ("night shift", desk.wang)


def test_an_agent_opening_a_case_is_its_first_responder(api: Api, desk: Desk) -> None:
    c = api.open(title="walk-in", actor_id=desk.zhao)
    assert c["owner_id"] == desk.zhao


def test_resolving_requires_root_cause_responsibility_and_summary(api: Api, desk: Desk) -> None:
    c = api.ok(api.open(title="x"), "acknowledge", actor_id=desk.wang)
    missing = api.act(c, "resolve", actor_id=desk.wang, summary="done")
    assert missing.status_code == 422
    wrong = api.act(c, "resolve", actor_id=desk.wang, **(RESOLUTION | {"responsibility": "gods"}))
    assert wrong.status_code == 422
    c = api.ok(c, "resolve", actor_id=desk.wang, **RESOLUTION)
    assert (c["root_cause"], c["responsibility"], c["resolution_summary"]) == (
        "logistics.delay", "supplier", "courier re-dispatched the parcel",
    )  # fmt: skip


def test_a_stale_version_gets_409_with_the_current_version(api: Api, desk: Desk) -> None:
    c = api.open(title="x")
    fresh = api.ok(c, "acknowledge", actor_id=desk.wang)
    stale = api.act(c, "progress", actor_id=desk.zhao)  # based on the version before
    assert stale.status_code == 409
    assert stale.json() | {"detail": ""} == stale.json() | {
        "detail": "",
        "code": "stale_version",
        "current_version": fresh["version"],
    }
    via_header = api.client.post(
        f"/api/complaints/{c['id']}/progress?brand=acme",
        json={"actor_id": desk.zhao},
        headers={"If-Match": f'"{c["version"]}"'},
    )
    assert via_header.status_code == 409
    ok = api.client.post(
        f"/api/complaints/{c['id']}/progress?brand=acme",
        json={"actor_id": desk.zhao},
        headers={"If-Match": f'"{fresh["version"]}"'},
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] == f'"{ok.json()["version"]}"'
    no_version = api.client.post(
        f"/api/complaints/{c['id']}/waiting?brand=acme", json={"actor_id": desk.zhao}
    )
    assert no_version.status_code == 422


def test_reopen_only_within_the_window(api: Api, desk: Desk, clock: ManualClock) -> None:
    c = api.ok(api.open(title="x"), "acknowledge", actor_id=desk.wang)
    c = api.ok(c, "resolve", actor_id=desk.wang, **RESOLUTION)
    clock.advance(timedelta(days=31))
    late = api.act(c, "reopen", reason="again")
    assert (late.status_code, late.json()["code"]) == (409, "reopen_window_closed")


def test_reads_are_brand_scoped(api: Api, desk: Desk, session: Session) -> None:
    make_desk(session, brand="other")
    c = api.open(title="x")
    assert api.client.get(f"/api/complaints/{c['id']}?brand=other").status_code == 404
    assert api.client.get("/api/complaints?brand=other").json()["total"] == 0


def test_sla_clocks_follow_policy_pause_and_regrade(
    api: Api, desk: Desk, clock: ManualClock
) -> None:
    start = clock.now()
    c = api.open(title="outage", severity="P1")  # 24×7: 15 min / 30 min / 2 h
    assert c["sla_policy"] == "p1_system_fault"
    assert _due(sla(c, "first_response")) == start + timedelta(minutes=15)
    assert _due(sla(c, "resolution")) == start + timedelta(hours=2)
    clock.advance(timedelta(minutes=10))
    c = api.ok(c, "acknowledge", actor_id=desk.wang)
    assert sla(c, "first_response")["status"] == "fulfilled"
    c = api.ok(c, "waiting", actor_id=desk.wang)
    assert sla(c, "resolution")["status"] == "paused"
    assert sla(c, "resolution")["due_at"] is None
    clock.advance(timedelta(hours=5))
    c = api.ok(c, "replies", author="customer", message="here you go")
    # paused 5 h: the 2 h resolution target moved by exactly that
    assert _due(sla(c, "resolution")) == start + timedelta(hours=7)
    assert _due(sla(c, "next_reply")) == clock.now() + timedelta(minutes=30)
    c = api.ok(c, "severity", actor_id=desk.wang, severity="P3", reason="not an outage")
    assert c["sla_policy"] == "general_complaint"  # 7 days calendar, same start, same pause
    assert _due(sla(c, "resolution")) == start + timedelta(days=7, hours=5)
    assert {"sla_activated", "sla_paused", "sla_resumed", "sla_fulfilled"} <= set(kinds(c))
    assert "sla_rescheduled" in kinds(c)


def test_queues_filter_and_sort_by_sla_urgency(api: Api, desk: Desk, clock: ManualClock) -> None:
    general = api.open(title="a", severity="P3")
    outage = api.open(title="b", severity="P1", team_id=desk.team_id)
    api.ok(outage, "acknowledge", actor_id=desk.zhao)
    page = api.client.get("/api/complaints?brand=acme").json()
    assert [i["id"] for i in page["items"]] == [outage["id"], general["id"]]
    by_owner = api.client.get(f"/api/complaints?brand=acme&owner_id={desk.zhao}").json()
    assert [i["id"] for i in by_owner["items"]] == [outage["id"]]
    by_team = api.client.get(f"/api/complaints?brand=acme&team_id={desk.team_id}").json()
    assert by_team["total"] == 1
    new = api.client.get("/api/complaints?brand=acme&state=new&severity=P3").json()
    assert [i["id"] for i in new["items"]] == [general["id"]]
    assert api.client.get("/api/complaints?brand=acme&breaching=true").json()["total"] == 0
    clock.advance(timedelta(hours=3))  # past the outage's 2 h resolution target
    breaching = api.client.get("/api/complaints?brand=acme&breaching=true").json()
    assert [i["id"] for i in breaching["items"]] == [outage["id"]]


def test_routing_by_category_and_channel(
    api: Api, desk: Desk, brand_config: Callable[[str, str, str], None]
) -> None:
    brand_config(
        "acme",
        "complaints",
        "routing:\n  - {category: billing, channel: hotline, team: care}\n",
    )
    routed = api.open(title="x", category="billing", channel="hotline")
    assert routed["team_id"] == desk.team_id
    assert api.open(title="x", category="billing", channel="weibo")["team_id"] is None
    assert api.open(title="x", category="delivery", channel="hotline")["team_id"] is None


def test_policies_match_on_category_channel_and_tier_first_match_wins(
    api: Api, session: Session, desk: Desk, brand_config: Callable[[str, str, str], None]
) -> None:
    policies = [
        {"name": "vip_social", "match": {"channel": ["weibo"], "tier": ["vip"]},
         "first_response": "10m", "next_reply": "1h", "resolution": "4h", "hours": "calendar"},
        {"name": "billing", "match": {"category": ["billing"]},
         "first_response": "2h", "next_reply": "4h", "resolution": "2d", "hours": "calendar"},
        {"name": "rest", "first_response": "24h", "next_reply": "24h", "resolution": "7d",
         "hours": "calendar"},
    ]  # fmt: skip
    brand_config("acme", "sla", yaml.safe_dump({"policies": policies}))
    vip = make_customer(session, external_id="VIP1")
    vip.tier = "vip"
    session.flush()
    on_weibo = api.open(title="x", category="billing", channel="weibo", customer_id=vip.id)
    assert on_weibo["sla_policy"] == "vip_social"  # first match wins over billing
    assert api.open(title="x", category="billing", channel="weibo")["sla_policy"] == "billing"
    assert api.open(title="x", category="delivery", channel="weibo")["sla_policy"] == "rest"
    first = sla(on_weibo, "first_response")
    assert _due(first) - datetime.fromisoformat(on_weibo["opened_at"]) == timedelta(minutes=10)


def test_metrics_endpoint_groups_and_filters_by_opening_date(api: Api, desk: Desk) -> None:
    api.open(title="a", category="billing.refund", channel="hotline")
    api.open(title="b", category="delivery", channel="weibo")
    rows = api.client.get("/api/complaints/metrics?brand=acme&by=category").json()
    assert [(r["group"], r["n"]) for r in rows] == [("billing.refund", 1), ("delivery", 1)]
    assert rows[0].keys() >= {"first_response_attainment", "next_reply_attainment", "fcr_rate"}
    later = api.client.get("/api/complaints/metrics?brand=acme&by=all&since=2099-01-01").json()
    assert later == []
    queue = api.client.get("/api/complaints?brand=acme&category=billing").json()
    assert [c["title"] for c in queue["items"]] == ["a"]  # sub-categories included
    assert queue["items"][0]["source"] == "api"
    by_channel = api.client.get("/api/complaints?brand=acme&channel=weibo").json()
    assert [c["title"] for c in by_channel["items"]] == ["b"]


def _due(target: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(target["due_at"]))


def test_personal_data_stays_in_the_stored_text_and_never_leaves_through_the_api(
    api: Api, desk: Desk, session: Session
) -> None:
    c = api.open(title="请回电 13812345678", description="邮箱 wang@example.com，电话 13812345678")
    assert (c["title"], c["description"]) == ("请回电 [PHONE]", "邮箱 [EMAIL]，电话 [PHONE]")
    listed = api.client.get("/api/complaints?brand=acme").json()["items"]
    assert "13812345678" not in str(listed)
    stored = session.get_one(Complaint, c["id"])
    assert stored.description == "邮箱 wang@example.com，电话 13812345678"  # restricted column


def test_a_create_sent_again_returns_the_case_it_opened(
    api: Api, desk: Desk, session: Session
) -> None:
    """A client retrying after a timeout must not open a second case; the same key with other
    content, or a key an import brought in, is a conflict rather than a silent overwrite."""
    body = {"external_id": "crm-481", "source": "crm", "title": "parcel late", "severity": "P2"}
    first = api.client.post("/api/complaints?brand=acme", json=body)
    assert first.status_code == 201, first.text
    case = api.ok(first.json(), "acknowledge", actor_id=desk.wang)
    again = api.client.post("/api/complaints?brand=acme", json=body)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    assert (again.json()["id"], again.json()["state"]) == (case["id"], "acknowledged")
    assert kinds(again.json()).count("opened") == 1
    other = api.client.post("/api/complaints?brand=acme", json={**body, "title": "parcel lost"})
    assert (other.status_code, other.json()["code"]) == (409, "conflict")
    assert (other.json()["id"], f"#{case['id']}" in other.json()["detail"]) == (case["id"], True)
    unnamed = api.open(title="parcel late", severity="P2")  # no key: a new case each time
    assert unnamed["id"] != case["id"]
    rows = session.query(Complaint).filter(Complaint.external_id == "crm-481").all()
    assert [(r.source, r.id) for r in rows] == [("crm", case["id"])]


def test_a_create_racing_its_own_retry_returns_the_case_the_other_opened(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both copies looked before either wrote: the second insert meets the key and replays."""
    body = {"external_id": "req-7", "title": "app down", "severity": "P1"}
    first = api.client.post("/api/complaints?brand=acme", json=body)
    assert first.status_code == 201, first.text
    looked: list[bool] = []
    real_find = intake.find_opened

    def find_late(*args: Any, **kwargs: Any) -> Any:
        looked.append(True)
        return None if len(looked) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(intake, "find_opened", find_late)
    second = api.client.post("/api/complaints?brand=acme", json=body)
    assert (second.status_code, second.json()["id"]) == (200, first.json()["id"])
    assert len(looked) == 2  # missed once, then found after the key refused the insert

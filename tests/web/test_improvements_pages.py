"""The improvements page: actions by priority with owner, due date and cost; before/after
verdicts of done actions with their windows; export; empty state; the demo's actions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics import cache
from trustpulse.metrics.actions import create_action, verify_action
from trustpulse.metrics.rollup_models import ImprovementAction
from trustpulse.reports import improvements as reports_improvements

URL = "/improvements?brand=acme&lang=en"


def _nps_answers(session: Session, brand_id: int, day: date, values: list[int]) -> None:
    at = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    for k, value in enumerate(values):
        feedback = Feedback(
            brand_id=brand_id,
            kind=FeedbackKind.survey,
            channel="email",
            occurred_at=at + timedelta(minutes=k),
            source="test",
            external_id=f"{day}-{k}",
            content_hash="h",
            raw={},
        )
        session.add(feedback)
        session.flush()
        session.add(Score(feedback_id=feedback.id, metric="nps", value=float(value)))
    session.flush()


def test_empty_state_when_the_brand_has_no_actions(client: TestClient, session: Session) -> None:
    make_brand(session, code="acme")
    html = client.get(URL).text
    assert 'id="no-actions"' in html
    assert 'id="actions-table"' not in html


def test_actions_are_listed_by_priority_with_their_details(
    client: TestClient, session: Session
) -> None:
    make_brand(session, code="acme")
    common = {"metric": "nps", "impact": 8.0, "expected_gain": 2.0}
    create_action(session, brand="acme", problem="costly", cost=50_000.0, **common)
    create_action(
        session,
        brand="acme",
        problem="cheap <i>fix</i>",
        cost=1_000.0,
        owner="service desk",
        due_date=date(2026, 12, 31),
        **common,
    )
    html = client.get(URL).text
    problems = re.findall(r'<td class="text">([^<]*(?:&lt;[^<]*)*)<br><span class="muted">', html)
    assert problems == ["cheap &lt;i&gt;fix&lt;/i&gt;", "costly"]
    assert "service desk" in html
    assert "Dec 31, 2026" in html
    assert html.count('class="status missed act-now"') == 2  # impact 8 > 7
    csv = client.get(URL + "&export=csv").content.decode("utf-8").strip().splitlines()
    assert csv[0].startswith("\ufeffPriority,Act now,Action,Metric,Status,Owner,Due")
    assert len(csv) == 3
    assert csv[1].split(",")[2] == "cheap <i>fix</i>"


def _done_valve_action(session: Session) -> ImprovementAction:
    """A done NPS action on acme with answers 30 days before (NPS -25) and after (+75)."""
    brand = make_brand(session, code="acme")
    _nps_answers(session, brand.id, date(2026, 3, 10), [2] * 20 + [8] * 10 + [10] * 10)
    _nps_answers(session, brand.id, date(2026, 5, 10), [10] * 30 + [8] * 10)
    return create_action(
        session,
        brand="acme",
        problem="fix the valve",
        metric="nps",
        impact=9.0,
        cost=10_000.0,
        expected_gain=5.0,
        status="done",
        start_date=date(2026, 4, 1),
        done_date=date(2026, 4, 20),
    )


def test_done_action_shows_its_verdict_effect_interval_and_windows(
    client: TestClient, session: Session
) -> None:
    _done_valve_action(session)
    html = client.get(URL).text
    cell = html[html.index('class="text verdict"') :]
    assert ">improved<" in cell
    assert "Effect: +100.0" in cell  # NPS -25 before, +75 after
    assert "p &lt; 0.001" in cell
    assert "n = 40 / 40" in cell
    assert "Before: Mar 2, 2026 – Mar 31, 2026; After: Apr 21, 2026 – May 20, 2026" in cell
    chinese = client.get("/improvements?brand=acme&lang=zh-CN").text
    assert "有改善" in chinese


def test_demo_company_shows_its_planted_actions(demo_client: TestClient) -> None:
    html = demo_client.get("/improvements?brand=aurora&lang=en").text
    assert html.count("<tr data-action=") == 3
    assert "AWH-60 valve seal" in html
    cell = html[html.index('class="text verdict"') :]
    assert "Before: Feb 28, 2026 – Mar 29, 2026; After: May 4, 2026 – Jun 2, 2026" in cell
    assert re.search(r">(improved|worse|no detectable change|too few responses)<", cell)
    xlsx = demo_client.get("/improvements?brand=aurora&lang=en&export=xlsx")
    assert xlsx.status_code == 200
    assert "improvements.xlsx" in xlsx.headers["content-disposition"]


def test_verdicts_are_cached_until_the_action_or_its_data_change(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = _done_valve_action(session)
    calls: list[int] = []

    def counted(session: Session, action_id: int, **kwargs: Any) -> dict[str, object]:
        calls.append(action_id)
        return verify_action(session, action_id, **kwargs)

    monkeypatch.setattr(reports_improvements, "verify_action", counted)
    cache.clear()
    first = client.get(URL).text
    assert client.get(URL).text == first
    assert calls == [action.id]  # the second request came from the cache
    action.done_date = date(2026, 4, 25)  # edited in place: the watermark cannot see it
    session.flush()
    assert "After: Apr 26, 2026" in client.get(URL).text
    assert len(calls) == 2
    _nps_answers(session, action.brand_id, date(2026, 5, 11), [0] * 5)
    client.get(URL)
    assert len(calls) == 3  # new responses moved the watermark

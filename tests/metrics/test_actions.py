"""Improvement actions: hand-computed priorities, before/after verdicts, the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
import typer
from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type stubs
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.complaints.kpis import complaint_metrics
from trustpulse.complaints.models import Complaint, ComplaintSurveyInvitation
from trustpulse.config import Settings, get_settings
from trustpulse.customers.models import Customer
from trustpulse.db import session_scope, utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.actions import create_action, list_actions, verify_action, verify_metric
from trustpulse.metrics.cli import register
from trustpulse.metrics.nps import nps_difference
from trustpulse.metrics.periods import local_midnight_utc
from trustpulse.runtime import Runtime

BEFORE = (date(2026, 3, 1), date(2026, 3, 31))
AFTER = (date(2026, 5, 1), date(2026, 5, 31))


def _answers(session: Session, day: date, metric: str, values: Sequence[float], tag: str) -> None:
    brand = make_brand(session, code="acme")
    at = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    for i, value in enumerate(values):
        fb = Feedback(
            brand_id=brand.id, kind=FeedbackKind.survey, channel="email",
            occurred_at=at + timedelta(minutes=i), source="t", external_id=f"{tag}{i}",
            content_hash="h", raw={},
        )  # fmt: skip
        session.add(fb)
        session.flush()
        session.add(Score(feedback_id=fb.id, metric=metric, value=value))
    session.flush()


def test_priority_is_impact_times_normalised_cost_effectiveness(
    session: Session, settings: Settings
) -> None:
    make_brand(session, code="acme")
    # gains per 10,000: a = 4 / 20,000 * 10,000 = 2; b = 3 / 5,000 * 10,000 = 6 (the best)
    create_action(session, brand="acme", problem="a", metric="nps", impact=8, cost=20_000,
                  expected_gain=4)  # fmt: skip
    create_action(session, brand="acme", problem="b", metric="csat", impact=5, cost=5_000,
                  expected_gain=3)  # fmt: skip
    rows = {r["problem"]: r for r in list_actions(session, settings=settings, brand="acme")}
    assert rows["a"]["cost_effectiveness"] == pytest.approx(2.0)
    assert rows["a"]["priority"] == pytest.approx(8 * 2 / 6)
    assert rows["b"]["priority"] == pytest.approx(5.0)
    assert rows["a"]["act_now"] is True
    assert rows["b"]["act_now"] is False
    with pytest.raises(InvalidInputError, match="impact"):
        create_action(session, brand="acme", problem="c", metric="nps", impact=11, cost=1,
                      expected_gain=1)  # fmt: skip


def test_nps_verification_uses_the_difference_test(session: Session, settings: Settings) -> None:
    _answers(session, date(2026, 3, 10), "nps", [10] * 20 + [8] * 10 + [3] * 20, "b")
    _answers(session, date(2026, 5, 10), "nps", [10] * 35 + [8] * 10 + [3] * 5, "a")
    found = verify_metric(
        session, settings=settings, brand="acme", metric="nps", before=BEFORE, after=AFTER
    )
    expected = nps_difference((35, 10, 5), (20, 10, 20))
    assert found["effect"] == pytest.approx(60.0)  # 60 - 0 points
    assert found["effect"] == pytest.approx(expected.difference)
    assert found["p_value"] == pytest.approx(expected.p_value)
    assert found["verdict"] == "improved"


def test_small_samples_and_no_change(session: Session, settings: Settings) -> None:
    _answers(session, date(2026, 3, 10), "csat", [5, 4, 2], "b")
    _answers(session, date(2026, 5, 10), "csat", [5, 5, 5], "a")
    small = verify_metric(
        session, settings=settings, brand="acme", metric="csat", before=BEFORE, after=AFTER
    )
    assert small["verdict"] == "too few responses"
    _answers(session, date(2026, 3, 12), "hours", [10.0 + i % 5 for i in range(40)], "hb")
    _answers(session, date(2026, 5, 12), "hours", [10.0 + i % 5 for i in range(40)], "ha")
    same = verify_metric(
        session, settings=settings, brand="acme", metric="hours", before=BEFORE, after=AFTER,
        lower_is_better=True,
    )  # fmt: skip
    assert same["verdict"] == "no detectable change"
    assert same["effect"] == 0.0


def test_cli_actions_add_list_verify(runtime: Runtime) -> None:
    with session_scope(runtime.session_factory) as session:
        _answers(session, date(2026, 3, 10), "hours", [20.0 + i for i in range(40)], "b")
        _answers(session, date(2026, 5, 10), "hours", [5.0 + i / 10 for i in range(40)], "a")
    root = typer.Typer()
    register(root)
    get_settings.cache_clear()
    env = {
        "TRUSTPULSE_HOME": str(runtime.settings.home),
        "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
    }
    added = CliRunner().invoke(
        root,
        ["actions", "add", "--brand", "acme", "--problem", "slow", "--metric", "hours",
         "--impact", "9", "--cost", "1000", "--gain", "2", "--json"],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    action_id = json.loads(added.stdout)[0]["id"]
    listed = json.loads(CliRunner().invoke(root, ["actions", "list", "--json"], env=env).stdout)
    assert listed[0]["act_now"] is True
    verified = CliRunner().invoke(
        root,
        ["actions", "verify", str(action_id), "--before", "2026-03-01:2026-03-31",
         "--after", "2026-05-01:2026-05-31", "--lower-is-better", "--json"],
        env=env,
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output
    result = json.loads(verified.stdout)[0]
    assert result["verdict"] == "improved"
    assert result["ci_low"] <= result["effect"] <= result["ci_high"]
    get_settings.cache_clear()


def _cases(
    session: Session,
    day: date,
    tag: str,
    *,
    resolution_hours: Sequence[float] = (),
    followup: Sequence[float] = (),
    root_cause: str | None = None,
    count: int = 0,
) -> None:
    """Complaints of acme opened on `day` (local 12:00): one per resolution time, one per
    follow-up answer (answered survey), or `count` plain ones, all with `root_cause`."""
    brand = make_brand(session, code="acme")
    opened = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    n = max(len(resolution_hours), len(followup), count)
    for i in range(n):
        complaint = Complaint(
            brand_id=brand.id, source="t", external_id=f"{tag}{i}", content_hash="h",
            channel="hotline", opened_at=opened + timedelta(minutes=i), root_cause=root_cause,
            resolved_at=opened + timedelta(minutes=i, hours=resolution_hours[i])
            if i < len(resolution_hours) else None,
            raw={},
        )  # fmt: skip
        session.add(complaint)
        session.flush()
        if i < len(followup):
            fb = Feedback(
                brand_id=brand.id, kind=FeedbackKind.survey, channel="followup",
                occurred_at=opened + timedelta(days=4), source="t", external_id=f"{tag}f{i}",
                content_hash="h", raw={},
            )  # fmt: skip
            session.add(fb)
            session.flush()
            session.add(Score(feedback_id=fb.id, metric="csat", value=followup[i]))
            session.add(
                ComplaintSurveyInvitation(
                    complaint_id=complaint.id, cycle=0, token=f"{tag}-{i}", created_at=opened,
                    expires_at=opened + timedelta(days=30), used_at=opened, feedback_id=fb.id,
                )
            )  # fmt: skip
    session.flush()


def test_complaint_times_are_verified_on_complaints_not_scores(
    session: Session, settings: Settings
) -> None:
    _cases(session, date(2026, 3, 10), "b", resolution_hours=[20.0 + i for i in range(40)])
    _cases(session, date(2026, 5, 10), "a", resolution_hours=[5.0 + i / 10 for i in range(40)])
    found = verify_metric(
        session, settings=settings, brand="acme", metric="median_resolution_hours",
        before=BEFORE, after=AFTER,
    )  # fmt: skip
    assert (found["n_before"], found["n_after"]) == (40, 40)
    # medians by hand: before 20 + 19.5 = 39.5 h, after 5 + 1.95 = 6.95 h; lower is better
    assert found["before_value"] == pytest.approx(39.5)
    assert found["after_value"] == pytest.approx(6.95)
    assert found["effect"] == pytest.approx(39.5 - 6.95)
    assert found["ci_low"] <= found["effect"] <= found["ci_high"]  # type: ignore[operator]
    assert found["lower_is_better"] is True
    assert found["verdict"] == "improved"
    # the same medians as the complaint KPIs of the complaints opened in each window
    brand = make_brand(session, code="acme")
    window = (
        local_midnight_utc(BEFORE[0], brand.timezone),
        local_midnight_utc(date(2026, 4, 1), brand.timezone),
    )
    (kpis,) = complaint_metrics(session, brand="acme", now=utcnow(), by="all", opened=window)
    assert kpis.median_resolution_hours == pytest.approx(found["before_value"])


def test_followup_csat_is_verified_by_a_difference_of_means(
    session: Session, settings: Settings
) -> None:
    before = [2.0, 3.0, 4.0] * 12  # mean 3
    after = [4.0, 5.0, 4.5] * 12  # mean 4.5
    _cases(session, date(2026, 3, 10), "b", followup=before)
    _cases(session, date(2026, 5, 10), "a", followup=after)
    found = verify_metric(
        session, settings=settings, brand="acme", metric="followup_csat",
        before=BEFORE, after=AFTER,
    )  # fmt: skip
    expected = stats.ttest_ind(after, before, equal_var=False)
    assert (found["n_before"], found["n_after"]) == (36, 36)
    assert found["effect"] == pytest.approx(1.5)
    assert found["p_value"] == pytest.approx(float(expected.pvalue))
    assert found["ci_low"] < 1.5 < found["ci_high"]  # type: ignore[operator]
    assert found["verdict"] == "improved"
    few = verify_metric(
        session, settings=settings, brand="acme", metric="followup_csat",
        before=BEFORE, after=(date(2026, 6, 1), date(2026, 6, 30)),
    )  # fmt: skip
    assert few["verdict"] == "too few responses"


def test_action_reports_root_cause_recurrence_per_1000_customers(
    session: Session, settings: Settings
) -> None:
    brand = make_brand(session, code="acme")
    session.add_all(
        Customer(brand_id=brand.id, external_id=f"c{i}", tier="regular",
                 first_seen_at=datetime(2026, 1, 1, tzinfo=UTC))
        for i in range(200)
    )  # fmt: skip
    _cases(session, date(2026, 3, 10), "b", root_cause="courier", count=40)
    _cases(session, date(2026, 5, 10), "a", root_cause="courier", count=10)
    _cases(session, date(2026, 5, 11), "o", root_cause="other", count=30)
    action = create_action(
        session, brand="acme", problem="late parcels", metric="median_resolution_hours",
        impact=6, cost=1000, expected_gain=2, root_cause="courier",
    )  # fmt: skip
    found = verify_action(session, action.id, settings=settings, before=BEFORE, after=AFTER)
    rec = found["recurrence"]
    assert isinstance(rec, dict)
    # 40 and 10 complaints among 200 customers, both windows 31 days
    assert rec["per_1000_customers_before"] == pytest.approx(200.0)
    assert rec["per_1000_customers_after"] == pytest.approx(50.0)
    assert rec["rate_ratio"] == pytest.approx(0.25)
    assert rec["ci_low"] < 0.25 < rec["ci_high"] < 1
    assert rec["p_value"] == pytest.approx(stats.binomtest(10, 50, 0.5).pvalue)
    assert rec["verdict"] == "improved"
    same = create_action(
        session, brand="acme", problem="other", metric="nps", impact=1, cost=1,
        expected_gain=1, root_cause="other",
    )  # fmt: skip
    other = verify_action(session, same.id, settings=settings, before=BEFORE, after=AFTER)
    assert other["recurrence"]["verdict"] == "worse"  # type: ignore[index]

"""How response time moves trust: a planted slope of follow-up CSAT on first-response hours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.complaints.models import Complaint, ComplaintSurveyInvitation
from trustpulse.config import Settings, get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.cli import register
from trustpulse.metrics.query import Slice
from trustpulse.metrics.response_time import ols_slope, response_time_effect
from trustpulse.runtime import Runtime

OPENED = datetime(2026, 3, 2, 2, tzinfo=UTC)
# P(top box) = 0.9 - 0.02 x hours (hours 0..30), answers 5 (top box) or 2: the true slope is
# -2 CSAT points per hour, and (5 - 2) x -0.02 = -0.06 per hour on the 1-5 scale
SLOPE_POINTS, SLOPE_SCORE = -2.0, -0.06


def plant(
    session: Session, *, brand: str, n: int, per_hour: float, seed: int, answered: bool = True
) -> None:
    """n complaints opened 2026-03-02 .. with uniform 0-30 h first responses, each answered."""
    brand_id = make_brand(session, code=brand).id
    rng = np.random.default_rng(seed)
    hours = rng.uniform(0.0, 30.0, n)
    satisfied = rng.random(n) < 0.9 + per_hour * hours
    complaints = [
        Complaint(
            brand_id=brand_id, source="t", external_id=f"{brand}{i}", content_hash="h",
            channel="hotline", opened_at=OPENED + timedelta(hours=i),
            first_response_at=OPENED + timedelta(hours=i + float(hours[i])), raw={},
        )
        for i in range(n)
    ]  # fmt: skip
    answers = [
        Feedback(
            brand_id=brand_id, kind=FeedbackKind.survey, channel="followup",
            occurred_at=OPENED + timedelta(hours=i + 80), source="t",
            external_id=f"{brand}f{i}", content_hash="h", raw={},
        )
        for i in range(n)
    ]  # fmt: skip
    session.add_all([*complaints, *answers])
    session.flush()
    if not answered:
        return
    for i, (complaint, feedback) in enumerate(zip(complaints, answers, strict=True)):
        session.add(
            ComplaintSurveyInvitation(
                complaint_id=complaint.id, cycle=0, token=f"{brand}-{i}",
                created_at=OPENED, expires_at=OPENED + timedelta(days=30),
                used_at=OPENED, feedback_id=feedback.id,
            )
        )  # fmt: skip
        session.add(
            Score(feedback_id=feedback.id, metric="csat", value=5.0 if satisfied[i] else 2.0)
        )
    session.flush()


def test_ols_slope_matches_a_hand_computed_line() -> None:
    # y = 1 + 2x except the last point (+0.5): slope by hand sxy / sxx = 21 / 10 = 2.1
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([1.0, 3.0, 5.0, 7.0, 9.5])
    found = ols_slope(x, y)
    assert found is not None
    assert found.slope == pytest.approx(2.1)
    assert found.ci_low < found.slope < found.ci_high
    assert ols_slope(np.ones(5), y) is None


def test_planted_slope_is_recovered_within_its_interval(
    session: Session, settings: Settings
) -> None:
    plant(session, brand="acme", n=400, per_hour=SLOPE_POINTS / 100, seed=11)
    plant(session, brand="west", n=400, per_hour=0.0, seed=12)
    plant(session, brand="tiny", n=6, per_hour=SLOPE_POINTS / 100, seed=13)
    rows = {
        r["group"]["brand"]: r  # type: ignore[index]
        for r in response_time_effect(session, settings=settings, by=["brand"])
    }
    acme, west, tiny = rows["acme"], rows["west"], rows["tiny"]
    assert acme["n"] == 400
    assert acme["small_sample"] is False
    assert acme["ci_low"] <= SLOPE_POINTS <= acme["ci_high"] < 0  # type: ignore[operator]
    score = acme["score_per_hour"]
    assert isinstance(score, dict)
    assert score["ci_low"] <= SLOPE_SCORE <= score["ci_high"]
    assert west["ci_low"] <= 0.0 <= west["ci_high"]  # type: ignore[operator]
    assert tiny["small_sample"] is True
    assert tiny["n"] == 6


def test_cases_without_answers_or_outside_the_window_do_not_count(
    session: Session, settings: Settings
) -> None:
    plant(session, brand="acme", n=50, per_hour=SLOPE_POINTS / 100, seed=3)
    plant(session, brand="west", n=50, per_hour=0.0, seed=4, answered=False)
    pooled = response_time_effect(session, settings=settings)
    assert [(r["group"], r["n"]) for r in pooled] == [({}, 50)]
    # opened 2026-03-02 02:00 UTC + i hours: 2026-03-02 local (UTC+8) holds i = 0..13
    day = Slice(brand="acme", since=date(2026, 3, 2), until=date(2026, 3, 2))
    (one_day,) = response_time_effect(session, settings=settings, flt=day)
    assert one_day["n"] == 14
    assert one_day["small_sample"] is True


def test_cli_prints_the_effect_as_json(runtime: Runtime) -> None:
    with session_scope(runtime.session_factory) as session:
        plant(session, brand="acme", n=200, per_hour=SLOPE_POINTS / 100, seed=5)
    root = typer.Typer()
    register(root)
    get_settings.cache_clear()
    env = {
        "TRUSTPULSE_HOME": str(runtime.settings.home),
        "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
    }
    result = CliRunner().invoke(root, ["response-time", "--by", "brand", "--json"], env=env)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["group"] == {"brand": "acme"}
    assert {"n", "value", "ci_low", "ci_high", "small_sample", "p_value", "unit"} <= set(row)
    assert row["ci_low"] <= row["value"] <= row["ci_high"] < 0

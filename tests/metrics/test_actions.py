"""Improvement actions: hand-computed priorities, before/after verdicts, the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import Settings, get_settings
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.actions import create_action, list_actions, verify_metric
from trustpulse.metrics.cli import register
from trustpulse.metrics.nps import nps_difference
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

"""The three-level indicator tree: validation with file and line, exact values, CLI-free API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from tests.metrics.conftest import metrics_cli
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.customers.models import Customer, Order
from trustpulse.db import get_session
from trustpulse.errors import ConfigError
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.api import router as metrics_router
from trustpulse.metrics.tree import indicator_tree, load_tree_config
from trustpulse.runtime import Runtime

TREE = """
missing_child_policy: {policy}
indicators:
  - code: nps
    name_en: NPS
    weight: 1.0
    metric: nps
    bad: -100
    good: 100
    children:
      - {{code: active, name_en: A, weight: 0.5, metric: active_feedback_rate, bad: 0, good: 1}}
      - code: repurchase
        name_en: Repurchase
        weight: 0.5
        metric: repurchase_rate
        bad: 0
        good: 1
        children:
        - {{code: cycle, name_en: C, weight: 0.6, metric: repurchase_cycle_days, bad: 100, good: 0}}
        - {{code: wait, name_en: W, weight: 0.4, metric: "score:tp_hotline_wait", bad: 0, good: 10}}
"""
MARCH = datetime(2026, 3, 1, 4, tzinfo=UTC)  # 12:00 in Shanghai


def _write(settings: Settings, tmp_path: Path, text: str) -> Settings:
    (tmp_path / "indicator_tree.yaml").write_text(text, encoding="utf-8")
    return settings.model_copy(update={"config_dir": tmp_path})


@pytest.fixture
def shop(session: Session) -> None:
    brand = make_brand(session, code="acme")
    people = [Customer(brand_id=brand.id, external_id=f"c{i}", attributes={}) for i in range(4)]
    session.add_all(people)
    session.flush()
    # orders: c0 days 0 and 10, c1 days 1 and 21 (gaps 10, 20: median 15), c2 day 4, c3 day 5
    for i, (who, day) in enumerate([(0, 0), (0, 10), (1, 1), (1, 21), (2, 4), (3, 5)]):
        session.add(
            Order(
                brand_id=brand.id,
                customer_id=people[who].id,
                external_id=f"o{i}",
                ordered_at=MARCH + timedelta(days=day),
                amount=Decimal("10.00"),
            )
        )
    # surveys: c0 nps 10 wait 8, c2 nps 3 wait 6, c3 nps 9 (c1 says nothing)
    for who, scores in [
        (0, {"nps": 10, "tp_hotline_wait": 8}),
        (2, {"nps": 3, "tp_hotline_wait": 6}),
        (3, {"nps": 9}),
    ]:
        feedback = Feedback(
            brand_id=brand.id,
            customer_id=people[who].id,
            kind=FeedbackKind.survey,
            channel="email",
            occurred_at=MARCH + timedelta(days=2),
            source="test",
            external_id=f"f{who}",
            content_hash="h",
            raw={},
        )
        session.add(feedback)
        session.flush()
        session.add_all(
            Score(feedback_id=feedback.id, metric=m, value=v) for m, v in scores.items()
        )
    session.flush()


@pytest.mark.usefixtures("shop")
def test_every_node_with_raw_value_points_and_children_score(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    local = _write(settings, tmp_path, TREE.format(policy="reweight"))
    rows = {r["code"]: r for r in indicator_tree(session, settings=local, brand="acme")}
    assert [r["level"] for r in rows.values()] == [1, 2, 2, 3, 3]
    nps, active, repurchase = rows["nps"], rows["active"], rows["repurchase"]
    assert (nps["value"], nps["n"], nps["points"]) == pytest.approx((100 / 3, 3, 200 / 3))
    # 3 of the 4 buyers gave feedback (c0, c2, c3); 2 of 4 bought twice
    assert (active["value"], active["n"], active["points"]) == pytest.approx((0.75, 4, 75.0))
    assert (repurchase["value"], repurchase["points"]) == pytest.approx((0.5, 50.0))
    assert (rows["cycle"]["value"], rows["cycle"]["points"]) == pytest.approx((15.0, 85.0))
    assert (rows["wait"]["value"], rows["wait"]["points"]) == pytest.approx((7.0, 70.0))
    assert repurchase["children_score"] == pytest.approx(0.6 * 85 + 0.4 * 70)
    assert repurchase["score"] == pytest.approx(50.0)  # its own metric is what its parent weighs
    assert nps["children_score"] == pytest.approx(0.5 * 75 + 0.5 * 50)
    assert nps["missing_children"] == []


@pytest.mark.usefixtures("shop")
def test_missing_children_reweight_or_leave_the_parent_incomplete(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    text = TREE.replace("score:tp_hotline_wait", "score:tp_nobody_rated")
    reweighted = _write(settings, tmp_path, text.format(policy="reweight"))
    rows = {r["code"]: r for r in indicator_tree(session, settings=reweighted, brand="acme")}
    assert rows["repurchase"]["children_score"] == pytest.approx(85.0)
    assert rows["repurchase"]["missing_children"] == ["wait"]
    incomplete = _write(settings, tmp_path, text.format(policy="incomplete"))
    rows = {r["code"]: r for r in indicator_tree(session, settings=incomplete, brand="acme")}
    assert rows["repurchase"]["children_score"] is None
    assert rows["repurchase"]["missing_children"] == ["wait"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'metric: "score:tp_hotline_wait", bad: 0, good: 10}}',
            'metric: "score:tp_hotline_wait", bad: 0, good: 10, children: []}}',
            r"line 20: .*level 3 \(touchpoint\) indicators are leaves",
        ),
        ("metric: active_feedback_rate", "metric: active_feedbak", r"line 11: .*unknown metric"),
        ("weight: 0.6,", "weight: 0.7,", r"line 12: .*add up to 1.1, not 1"),
        (
            "metric: nps\n",
            "metric: nps\n    normalise: natural\n",
            r"line 4: .*nps is not on a natural",
        ),
    ],
)
def test_bad_tree_is_refused_with_file_and_line(
    settings: Settings, tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = TREE.replace(old, new)
    assert text != TREE
    local = _write(settings, tmp_path, text.format(policy="reweight"))
    with pytest.raises(ConfigError, match=r"indicator_tree.yaml " + message):
        load_tree_config(local)


@pytest.mark.usefixtures("shop")
def test_default_tree_loads_and_api_prints_it(session: Session, settings: Settings) -> None:
    config = load_tree_config(settings)
    assert [i.code for i in config.indicators] == ["nps", "csi"]
    app = create_app(settings, engine=session.get_bind().engine)
    app.include_router(metrics_router, prefix="/api")
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        response = client.get("/api/metrics/tree", params={"brand": "acme"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()}
    assert rows["repurchase"]["value"] == pytest.approx(0.5)
    assert rows["touchpoints"]["level"] == 2
    assert rows["product_quality"]["value"] is None  # nobody rated it: missing, reweighted


def test_cli_prints_the_tree_as_json_and_table(runtime: Runtime) -> None:
    with metrics_cli(runtime, n=60) as (root, env):
        result = CliRunner().invoke(root, ["metrics", "tree", "--brand", "acme", "--json"], env=env)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        table = CliRunner().invoke(root, ["metrics", "tree", "--brand", "acme"], env=env)
    assert {r["code"] for r in rows} >= {"nps", "csi", "touchpoints", "product_quality"}
    assert {"level", "metric", "value", "n", "points", "score"} <= set(rows[0])
    assert table.exit_code == 0, table.output
    assert "indicator tree" in table.stdout
    assert "│ csi" in table.stdout  # the metric column of the CSI headline

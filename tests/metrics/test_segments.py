"""Segments: hand-built customers land in the documented trust types and value tiers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import Settings, get_settings
from trustpulse.customers.models import Customer, Order
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.cli import register
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.rollup_models import CustomerSegment
from trustpulse.metrics.segments import build_segments, rfm_scores
from trustpulse.runtime import Runtime

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
# name: (dim scores, orders (days before AS_OF, amount), complaints, nps answers)
PEOPLE: dict[str, tuple[list[float], list[tuple[int, int]], int, list[float]]] = {
    "advocate": ([5, 5], [(10, 900), (40, 800), (70, 700)], 0, [10, 9]),
    "passive": ([3], [(200, 100)], 0, [8]),
    "at_risk": ([2], [(100, 300)], 0, [5]),
    "vocal_critic": ([1], [(300, 50)], 2, [0, 2]),
    "unrated": ([], [(20, 400)], 0, []),
}


def _people(session: Session) -> dict[str, int]:
    brand = make_brand(session, code="acme")
    ids = {}
    for i, (name, (dims, orders, complaints, nps)) in enumerate(PEOPLE.items()):
        customer = Customer(brand_id=brand.id, external_id=name, attributes={})
        session.add(customer)
        session.flush()
        ids[name] = customer.id
        for j, (days, amount) in enumerate(orders):
            session.add(
                Order(
                    brand_id=brand.id,
                    customer_id=customer.id,
                    external_id=f"{name}-o{j}",
                    ordered_at=AS_OF - timedelta(days=days),
                    amount=Decimal(amount),
                )
            )
        kinds = [FeedbackKind.survey] * max(len(dims), len(nps)) + [FeedbackKind.complaint] * (
            complaints
        )
        for k, kind in enumerate(kinds):
            fb = Feedback(
                brand_id=brand.id,
                customer_id=customer.id,
                kind=kind,
                channel="email",
                occurred_at=AS_OF - timedelta(days=5 + k),
                source="t",
                external_id=f"{name}-{i}-{k}",
                content_hash="h",
                raw={},
            )
            session.add(fb)
            session.flush()
            if k < len(dims):
                session.add(Score(feedback_id=fb.id, metric="dim_integrity", value=dims[k]))
            if k < len(nps):
                session.add(Score(feedback_id=fb.id, metric="nps", value=nps[k]))
    session.flush()
    return ids


def test_rules_put_each_customer_in_its_documented_type(
    session: Session, settings: Settings
) -> None:
    ids = _people(session)
    summary = build_segments(session, settings=settings, as_of=AS_OF)
    assert sum(int(str(r["customers"])) for r in summary) == len(PEOPLE)
    stored = {s.customer_id: s for s in session.scalars(select(CustomerSegment))}
    for name, cid in ids.items():
        assert stored[cid].trust_type == name, stored[cid].reasons
    advocate = stored[ids["advocate"]]
    assert advocate.reasons["trust"] == 100.0
    assert advocate.reasons["orders"] == 3
    assert advocate.value_tier == "high_value"  # newest, most frequent, biggest spender: 5+5+5
    assert stored[ids["vocal_critic"]].value_tier == "general"  # oldest, 1 order, least spend


def test_rebuild_gives_the_same_segments(session: Session, settings: Settings) -> None:
    _people(session)
    first = build_segments(session, settings=settings, as_of=AS_OF)
    assert build_segments(session, settings=settings, as_of=AS_OF) == first


def test_rfm_quintiles_with_ties_share_a_score() -> None:
    import pandas as pd  # noqa: PLC0415 -- only this unit test builds a frame

    frame = pd.DataFrame(
        {"orders": [1, 1, 2, 0], "spend": [10.0, 10.0, 30.0, 0.0], "recency_days": [5, 50, 5, None]}
    )
    scores = rfm_scores(frame)
    assert scores["f"].tolist() == [3, 3, 5, 1]  # average rank 1.5 of 3 -> pct 0.5 -> 3
    assert scores["r"].tolist() == [5, 2, 5, 1]


def test_metrics_slice_by_trust_type(session: Session, settings: Settings) -> None:
    _people(session)
    build_segments(session, settings=settings, as_of=AS_OF)
    rows = compute_metric(session, "nps", settings=settings, by=["trust_type"])
    by_type = {r["group"]["trust_type"]: r for r in rows}  # type: ignore[index]
    assert by_type["advocate"]["value"] == pytest.approx(100.0)
    assert by_type["vocal_critic"]["n"] == 2
    assert by_type["vocal_critic"]["value"] == pytest.approx(-100.0)
    tiers = compute_metric(session, "nps", settings=settings, by=["value_tier"])
    assert sum(int(str(r["n"])) for r in tiers) == 6


@pytest.fixture
def cli(runtime: Runtime) -> Iterator[tuple[typer.Typer, dict[str, str]]]:
    with session_scope(runtime.session_factory) as session:
        _people(session)
    root = typer.Typer()
    register(root)
    get_settings.cache_clear()
    yield (
        root,
        {
            "TRUSTPULSE_HOME": str(runtime.settings.home),
            "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
        },
    )
    get_settings.cache_clear()


def test_cli_segments_build_and_show(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    built = CliRunner().invoke(root, ["segments", "build", "--json"], env=env)
    assert built.exit_code == 0, built.output
    shown = CliRunner().invoke(root, ["segments", "show", "--brand", "acme", "--json"], env=env)
    assert json.loads(shown.stdout) == json.loads(built.stdout)
    assert {r["trust_type"] for r in json.loads(shown.stdout)} == set(PEOPLE)

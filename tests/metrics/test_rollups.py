"""Daily rollups: hand-computed parts, equality with raw rows on both databases, incremental."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from tests.metrics.conftest import insert_surveys, metrics_cli
from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollup_models import MetricRollup
from trustpulse.metrics.rollups import build_rollups
from trustpulse.runtime import Runtime

BYS = [
    [],
    ["brand"],
    ["brand", "month"],
    ["week"],
    ["day", "channel"],
    ["quarter", "segment"],
    ["brand", "segment", "month"],
    ["touchpoint"],
    ["month"],
    ["quarter"],
    ["brand", "quarter"],
    ["channel", "week"],
    ["month", "week", "segment"],  # labels from SQL and (SQLite < 3.46) a week mapped in Python
]
FILTERS = [
    Slice(),
    Slice(brand="west", since=date(2026, 3, 1), until=date(2026, 3, 8)),
    Slice(channel="sms", until=date(2026, 3, 31)),
    Slice(where={"touchpoint": ["delivery"]}),
    Slice(brand="acme", where={"segment": ["family"], "touchpoint": ["service"]}),
]


def _feedback(
    brand_id: int, at: datetime, ext: str, **scores: float
) -> tuple[Feedback, dict[str, float]]:
    fb = Feedback(
        brand_id=brand_id,
        kind=FeedbackKind.survey,
        channel="email",
        occurred_at=at,
        source="t",
        external_id=ext,
        content_hash="h",
        raw={},
    )
    return fb, scores


def _add(session: Session, *rows: tuple[Feedback, dict[str, float]]) -> None:
    session.add_all(fb for fb, _ in rows)
    session.flush()
    for fb, scores in rows:
        for metric, value in scores.items():
            session.add(Score(feedback_id=fb.id, metric=metric, value=value))
    session.flush()


def test_rollup_row_holds_hand_computed_parts_on_the_local_day(session: Session) -> None:
    brand = make_brand(session, code="acme")
    # 15:59 UTC is 23:59 in Shanghai (2026-03-01); 16:00 UTC is already 2026-03-02
    _add(
        session,
        _feedback(brand.id, datetime(2026, 3, 1, 15, 59, tzinfo=UTC), "a", nps=9),
        _feedback(brand.id, datetime(2026, 3, 1, 1, 0, tzinfo=UTC), "b", nps=6),
        _feedback(brand.id, datetime(2026, 3, 1, 8, 0, tzinfo=UTC), "c", nps=9.5),
        _feedback(brand.id, datetime(2026, 3, 1, 16, 0, tzinfo=UTC), "d", nps=10),
    )
    built = build_rollups(session)
    assert built.full
    rows = {r.day: r for r in session.scalars(select(MetricRollup))}
    first = rows[date(2026, 3, 1)]
    assert (first.n, first.total, first.total_sq) == (3, 24.5, 81 + 36 + 90.25)
    assert (first.h9, first.h6, first.h_other) == (1, 1, 1)
    second = rows[date(2026, 3, 2)]
    assert (second.n, second.h10, second.h_other) == (1, 1, 0)


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("by", BYS, ids=lambda b: ",".join(b) or "all")
def test_every_metric_from_rollups_equals_raw_rows(
    session: Session, settings: Settings, metric: str, by: list[str]
) -> None:
    insert_surveys(session, n=400, seed=11)
    build_rollups(session)
    for flt in FILTERS:
        raw = compute_metric(session, metric, settings=settings, by=by, flt=flt)
        warm = compute_metric(session, metric, settings=settings, by=by, flt=flt, source="rollup")
        assert len(warm) == len(raw)
        for r, w in zip(raw, warm, strict=True):
            assert w["group"] == r["group"]
            assert w["n"] == r["n"]
            for key in ("value", "ci_low", "ci_high", "low_effort_share"):
                assert w.get(key) == pytest.approx(r.get(key), abs=1e-9), (key, r["group"])
            assert w.get("promoters") == r.get("promoters")
            assert w.get("satisfied") == r.get("satisfied")


@pytest.mark.parametrize("by", [["week"], ["month"], ["quarter"], ["brand", "week", "month"]])
def test_period_labels_from_rollups_match_raw_across_year_ends(
    session: Session, settings: Settings, by: list[str]
) -> None:
    # local (Shanghai) days around year ends where the ISO year differs from the calendar year:
    # 2024-12-30 is 2025-W01, 2027-01-01 is 2026-W53, 2021-01-03 is 2020-W53
    brand = make_brand(session, code="acme")
    days = [date(2024, 12, 29), date(2024, 12, 30), date(2025, 1, 1), date(2020, 12, 31)]
    days += [date(2021, 1, 3), date(2021, 1, 4), date(2026, 12, 31), date(2027, 1, 1)]
    days += [date(2027, 1, 4), date(2026, 3, 31), date(2026, 4, 1), date(2026, 9, 30)]
    rows = [
        _feedback(
            brand.id,
            datetime(d.year, d.month, d.day, 2 + i % 12, tzinfo=UTC),
            f"y{i}",
            nps=i % 11,
            csat=1 + i % 5,
        )
        for i, d in enumerate(days * 3)
    ]
    _add(session, *rows)
    build_rollups(session)
    for metric in ("nps", "csat"):
        raw = compute_metric(session, metric, settings=settings, by=by)
        warm = compute_metric(session, metric, settings=settings, by=by, source="rollup")
        assert [(r["group"], r["n"], r["value"]) for r in raw] == [
            (w["group"], w["n"], pytest.approx(w["value"])) for w in warm
        ]
    if by == ["week"]:
        weeks = {str(r["group"]) for r in raw}
        for week in ("2020-W53", "2025-W01", "2026-W53"):
            assert any(week in w for w in weeks), (week, weeks)


def test_incremental_build_sees_new_backdated_and_updated_feedback(
    session: Session, settings: Settings
) -> None:
    insert_surveys(session, n=200, seed=3)
    build_rollups(session)
    brand = make_brand(session, code="acme")
    late = _feedback(brand.id, datetime(2026, 3, 3, 2, 0, tzinfo=UTC), "late", nps=0, csat=1)
    _add(session, late)
    changed = session.scalars(select(Feedback).where(Feedback.external_id == "s5")).one()
    score = session.get(Score, (changed.id, "nps"))
    assert score is not None
    score.value = 0 if score.value >= 9 else 10
    changed.updated_at = datetime.now(UTC) + timedelta(days=1)
    session.flush()
    built = build_rollups(session)
    assert not built.full
    assert built.brands >= 1
    for metric in ("nps", "csat"):
        raw = compute_metric(session, metric, settings=settings, by=["brand", "day"])
        warm = compute_metric(
            session, metric, settings=settings, by=["brand", "day"], source="rollup"
        )
        assert [(r["group"], r["n"], r["value"]) for r in raw] == [
            (w["group"], w["n"], pytest.approx(w["value"])) for w in warm
        ]
    again = build_rollups(session)
    assert again.rows >= 0
    assert (
        compute_metric(session, "nps", settings=settings, source="rollup")[0]["n"]
        == (compute_metric(session, "nps", settings=settings)[0]["n"])
    )


def test_rollup_source_refuses_what_rollups_cannot_answer(
    session: Session, settings: Settings
) -> None:
    insert_surveys(session, n=50)
    with pytest.raises(InvalidInputError, match="never built"):
        compute_metric(session, "nps", settings=settings, source="rollup")
    build_rollups(session)
    with pytest.raises(InvalidInputError, match="'product'"):
        compute_metric(session, "nps", settings=settings, by=["product"], source="rollup")
    auto = compute_metric(session, "nps", settings=settings, by=["product"], source="auto")
    assert auto == compute_metric(session, "nps", settings=settings, by=["product"])


@pytest.fixture
def cli(runtime: Runtime) -> Iterator[tuple[typer.Typer, dict[str, str]]]:
    with metrics_cli(runtime, n=120) as built:
        yield built


def test_cli_rollup_then_metrics_from_rollups(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    result = CliRunner().invoke(root, ["metrics", "rollup", "--full", "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)[0]
    assert summary["full"] is True
    assert summary["rows"] > 0
    args = ["metrics", "nps", "--by", "brand,month", "--json"]
    raw = CliRunner().invoke(root, args, env=env)
    warm = CliRunner().invoke(root, [*args, "--source", "rollup"], env=env)
    assert warm.exit_code == 0, warm.output
    assert json.loads(warm.stdout) == json.loads(raw.stdout)
    again = CliRunner().invoke(root, ["metrics", "rollup", "--json"], env=env)
    assert json.loads(again.stdout)[0]["full"] is False

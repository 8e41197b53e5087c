from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.text.test_service import TEXTS, add_feedback
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text import active
from trustpulse.text import jobs as text_jobs
from trustpulse.text.active import analyse_pending, brand_groups
from trustpulse.text.cli import app
from trustpulse.text.models import FeedbackAnalysis
from trustpulse.text.sentiment import train_model


@pytest.fixture
def aurora_model(runtime: Runtime, home_with_default_model: Path) -> Iterator[str]:
    """config/brands/aurora/text.yaml selecting a custom Chinese model; its version."""
    model = train_model(
        [f"好{i}" for i in range(30)] + [f"坏{i}" for i in range(30)],
        ["good"] * 30 + ["bad"] * 30,
    )
    path = runtime.settings.home / "aurora-zh.joblib"
    model.save(path)
    folder = runtime.settings.effective_config_dir / "brands" / "aurora"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text.yaml").write_text(f"models:\n  zh: {path}\n", encoding="utf-8")
    yield model.version
    shutil.rmtree(folder)


def _stored(runtime: Runtime) -> dict[int, tuple[str, str | None]]:
    with session_scope(runtime.session_factory) as session:
        return {
            a.feedback_id: (a.model_version, a.sentiment_label)
            for a in session.scalars(select(FeedbackAnalysis))
        }


def _invoke(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["analyze", *args])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_run_without_brand_keeps_each_brands_own_model(
    runtime: Runtime, aurora_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(runtime.session_factory) as session:
        acme = add_feedback(session, TEXTS, brand="acme")
        aurora = add_feedback(session, TEXTS[:2], brand="aurora")

    assert "analysed 2 feedback texts" in _invoke(runtime, monkeypatch, "--brand", "aurora")
    own = {i: _stored(runtime)[i] for i in aurora}
    assert all(f"zh={aurora_model}" in version for version, _ in own.values())
    assert {label for _, label in own.values()} <= {"good", "bad"}

    assert "analysed 5 feedback texts" in _invoke(runtime, monkeypatch)
    stored = _stored(runtime)
    assert {i: stored[i] for i in aurora} == own
    assert all(aurora_model not in stored[i][0] for i in acme)
    assert stored[acme[1]][1] == "positive"  # the global default model's labels

    assert "analysed 0 feedback texts" in _invoke(runtime, monkeypatch)
    assert "analysed 0 feedback texts" in _invoke(runtime, monkeypatch, "--brand", "aurora")


def test_enqueued_jobs_score_each_brand_with_its_own_model(
    runtime: Runtime, jobs: InProcessBackend, aurora_model: str
) -> None:
    with session_scope(runtime.session_factory) as session:
        acme = add_feedback(session, TEXTS, brand="acme")
        aurora = add_feedback(session, TEXTS[:2], brand="aurora")
    # range size 3 mixes the brands within ranges: each range job scores both by their own
    assert len(text_jobs.enqueue_analysis(range_size=3)) == 3
    jobs.drain()
    stored = _stored(runtime)
    assert all(aurora_model in stored[i][0] for i in aurora)
    assert all(aurora_model not in stored[i][0] for i in acme)
    assert text_jobs.enqueue_analysis(range_size=3) == []
    assert text_jobs.analyze() == 0


def test_brands_without_a_different_configuration_share_the_global_analyzer(
    runtime: Runtime, aurora_model: str
) -> None:
    same = runtime.settings.effective_config_dir / "brands" / "beta"
    same.mkdir(parents=True)
    (same / "text.yaml").write_text("models:\n  zh: default\n", encoding="utf-8")
    try:
        with session_scope(runtime.session_factory) as session:
            add_feedback(session, TEXTS[:1], brand="acme")
            add_feedback(session, TEXTS[:1], brand="beta")
            aurora = add_feedback(session, TEXTS[:1], brand="aurora")
            groups = brand_groups(session, runtime.settings)
            aurora_brand = session.get_one(Feedback, aurora[0]).brand_id
        # beta's file selects what the global one does: beta stays in the global group
        assert [(g.brand_ids, g.excluded) for g in groups] == [
            (None, (aurora_brand,)),
            ((aurora_brand,), ()),
        ]
        assert analyse_pending(runtime.session_factory, runtime.settings).written == 3
        assert aurora_model in _stored(runtime)[aurora[0]][0]
    finally:
        shutil.rmtree(same)


CHINESE = [
    "送餐太慢了，饭都凉了",
    "味道很好，下次还点",
    "分量太少，不值这个价",
    "骑手很准时，包装也好",
    "汤洒了一半，差评",
    "米饭夹生，再也不点了",
]


def _add_more(runtime: Runtime, brand_id: int, texts: list[str], first: int) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(runtime.session_factory) as session:
        session.add_all(
            Feedback(
                brand_id=brand_id,
                kind=FeedbackKind.review,
                channel="app",
                occurred_at=start + timedelta(days=first + i),
                text=text,
                source="test",
                external_id=f"more-{first + i}",
                content_hash=f"more{first + i}".rjust(64, "0"),
            )
            for i, text in enumerate(texts)
        )


def test_the_pipeline_adapts_at_a_step_rescores_once_and_then_stays(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the first step the unadapted default scores; reaching it adapts the default to
    the group's oldest texts and re-scores the group once; a later text does not move the
    corpus, so it alone is analysed, with the same adapted version."""
    monkeypatch.setattr(active, "ADAPT_STEPS", (4,))
    with session_scope(runtime.session_factory) as session:
        first = add_feedback(session, CHINESE[:3], brand="acme")
        brand_id = session.get_one(Feedback, first[0]).brand_id

    run = analyse_pending(runtime.session_factory, runtime.settings)
    assert run.written == 3
    assert not any("st1" in version for version, _ in _stored(runtime).values())

    _add_more(runtime, brand_id, CHINESE[3:5], first=3)
    run = analyse_pending(runtime.session_factory, runtime.settings)
    assert run.written == 5  # the two new ones and the three scored before the step
    adapted_versions = {version for version, _ in _stored(runtime).values()}
    assert len(adapted_versions) == 1
    assert "default-zh-v2-st1-" in next(iter(adapted_versions))
    assert analyse_pending(runtime.session_factory, runtime.settings).written == 0

    _add_more(runtime, brand_id, CHINESE[5:], first=5)
    run = analyse_pending(runtime.session_factory, runtime.settings)
    assert run.written == 1
    assert {version for version, _ in _stored(runtime).values()} == adapted_versions

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.text.test_service import TEXTS, add_feedback
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.runtime import Runtime, set_runtime
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

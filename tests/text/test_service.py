from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text.cli import app
from trustpulse.text.config import TextConfig
from trustpulse.text.models import FeedbackAnalysis
from trustpulse.text.sentiment import train_model
from trustpulse.text.service import Analyzer, build_analyzer, run_analysis

TEXTS = [
    "送餐太慢了，饭都凉了，我的手机13812345678",
    "味道很好，下次还点",
    "The rider was rude and the food arrived cold.",
    "Great service, thanks! email me at amy@qq.com",
    "",
]


def add_feedback(session: Session, texts: list[str], *, brand: str = "acme") -> list[int]:
    # No feedback factory exists yet (feedback/service.py is being written): rows as the importer
    # would store them.
    brand_row = make_brand(session, code=brand)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        Feedback(
            brand_id=brand_row.id,
            kind=FeedbackKind.review,
            channel="app",
            occurred_at=now + timedelta(days=i),
            text=text,
            source="test",
            external_id=f"{brand}-{i}",
            content_hash=f"{i:064d}",
        )
        for i, text in enumerate(texts)
    ]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


@pytest.fixture
def analyzer(runtime: Runtime, home_with_default_model: Path) -> Analyzer:
    return build_analyzer(runtime.settings, TextConfig())


def _analyses(runtime: Runtime) -> dict[int, FeedbackAnalysis]:
    with session_scope(runtime.session_factory) as session:
        return {a.feedback_id: a for a in session.scalars(select(FeedbackAnalysis))}


def test_pipeline_stores_redacted_text_language_sentiment(
    runtime: Runtime, analyzer: Analyzer
) -> None:
    with session_scope(runtime.session_factory) as session:
        ids = add_feedback(session, TEXTS)
    assert run_analysis(runtime.session_factory, analyzer, batch_size=2) == len(TEXTS)
    found = _analyses(runtime)
    first, second, third, fourth, _empty = (found[i] for i in ids)
    assert first.redacted_text == "送餐太慢了，饭都凉了，我的手机[PHONE]"
    assert first.pii_types == ["phone"]
    assert (first.language, first.sentiment_label) == ("zh", "negative")
    assert (second.language, second.sentiment_label) == ("zh", "positive")
    assert (third.language, third.sentiment_label) == ("en", "negative")
    assert fourth.redacted_text.endswith("[EMAIL]")
    assert fourth.sentiment_label == "positive"
    assert "送餐" in first.keywords
    assert first.aspects == []
    assert first.model_version == analyzer.version


def test_rerun_analyses_nothing_new(runtime: Runtime, analyzer: Analyzer) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS)
    run_analysis(runtime.session_factory, analyzer)
    assert run_analysis(runtime.session_factory, analyzer) == 0


def test_changed_text_is_reanalysed(runtime: Runtime, analyzer: Analyzer) -> None:
    with session_scope(runtime.session_factory) as session:
        ids = add_feedback(session, TEXTS)
    run_analysis(runtime.session_factory, analyzer)
    with session_scope(runtime.session_factory) as session:
        row = session.get_one(Feedback, ids[1])
        row.text = "太难吃了"
        row.updated_at = datetime.now(UTC) + timedelta(seconds=1)
    assert run_analysis(runtime.session_factory, analyzer) == 1
    assert _analyses(runtime)[ids[1]].sentiment_label == "negative"


def test_new_model_version_rescores_everything(runtime: Runtime, analyzer: Analyzer) -> None:
    with session_scope(runtime.session_factory) as session:
        ids = add_feedback(session, TEXTS)
    run_analysis(runtime.session_factory, analyzer)
    custom = train_model(
        [f"好{i}" for i in range(30)] + [f"坏{i}" for i in range(30)],
        ["good"] * 30 + ["bad"] * 30,
    )
    upgraded = Analyzer(default=analyzer.default, custom={"zh": custom})
    assert upgraded.version != analyzer.version
    assert run_analysis(runtime.session_factory, upgraded) == len(TEXTS)
    found = _analyses(runtime)
    assert {found[i].model_version for i in ids} == {upgraded.version}
    assert found[ids[0]].sentiment_label in {"good", "bad"}


def test_brand_and_since_filters(runtime: Runtime, analyzer: Analyzer) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS, brand="acme")
        other = add_feedback(session, TEXTS[:2], brand="beta")
    assert run_analysis(runtime.session_factory, analyzer, brand="beta") == 2
    assert set(_analyses(runtime)) == set(other)
    since = datetime(2026, 11, 4, tzinfo=UTC).date()
    assert run_analysis(runtime.session_factory, analyzer, brand="acme", since=since) == 2


def test_analyze_command_runs_the_pipeline_and_exits_0(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS)
    # the command builds its runtime from the environment, as the scheduler's would
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["analyze", "--since", "2026-11-02"])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    assert len(_analyses(runtime)) == len(TEXTS) - 1

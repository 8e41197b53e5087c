from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_mutual_info_score
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text.cli import app
from trustpulse.text.config import TextConfig, TopicSettings
from trustpulse.text.language import normalise, tokenise
from trustpulse.text.service import build_analyzer, run_analysis
from trustpulse.text.topics import fit_topics
from trustpulse.text.trends import emerging_topics

# measured: 0.45-0.47 at 50k texts, ~0.5 at 10k (bench/topics.py); a conservative floor
AMI_FLOOR = 0.35

THEMES = {
    "delivery": [
        "快递太慢了，物流三天没更新",
        "物流很快，快递小哥很准时",
        "快递包装破了，物流太差",
    ],
    "hotel": [
        "酒店房间很干净，前台服务好",
        "酒店房间隔音差，前台态度冷淡",
        "房间很大，酒店早餐不错",
    ],
    "phone": ["手机屏幕清晰，电池耐用", "手机电池不耐用，屏幕有坏点", "屏幕很大，手机系统流畅"],
}


def _themed(n: int) -> tuple[list[list[str]], list[str]]:
    texts, gold = [], []
    for i in range(n):
        for theme, options in THEMES.items():
            texts.append(tokenise(normalise(options[i % 3]), "zh"))
            gold.append(theme)
    return texts, gold


def test_topics_recover_distinct_themes_and_are_named_by_their_words() -> None:
    tokens, gold = _themed(20)
    model = fit_topics(tokens, language="zh", k=3)
    assert adjusted_mutual_info_score(gold, model.clusters(tokens)) > 0.9
    assert any("酒店" in label or "房间" in label for label in model.labels)


def test_emerging_topic_needs_a_jump_and_a_minimum_count() -> None:
    settings = TopicSettings(emerging_ratio=2.0, emerging_min_count=10, baseline_periods=3)
    counts = {
        "2026-07": Counter({"漏水": 2, "物流": 50}),
        "2026-08": Counter({"漏水": 1, "物流": 50}),
        "2026-09": Counter({"漏水": 2, "物流": 50, "价格": 1}),
        "2026-10": Counter({"漏水": 30, "物流": 50, "价格": 3}),
    }
    found = emerging_topics(counts, settings)
    assert [row["topic"] for row in found] == ["漏水"]
    assert found[0]["period"] == "2026-10"


@pytest.mark.shared_data
def test_topics_agree_with_shopping_categories(shared_data: Path) -> None:
    frame = pd.read_csv(shared_data / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz")
    frame = frame.dropna(subset=["review"]).drop_duplicates("review").sample(5000, random_state=0)
    tokens = [tokenise(normalise(str(t)), "zh") for t in frame["review"]]
    model = fit_topics(tokens, language="zh", k=10)
    assert adjusted_mutual_info_score(frame["cat"], model.clusters(tokens)) >= AMI_FLOOR


def test_topics_command_fits_assigns_and_reports(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens_texts = [t for options in THEMES.values() for t in options]
    with session_scope(runtime.session_factory) as session:
        brand = make_brand(session, code="acme")
        start = datetime(2026, 8, 1, tzinfo=UTC)
        session.add_all(
            Feedback(
                brand_id=brand.id,
                kind=FeedbackKind.review,
                channel="app",
                occurred_at=start + timedelta(days=i % 60),
                text=tokens_texts[i % len(tokens_texts)],
                source="test",
                external_id=f"t{i}",
                content_hash=f"{i:064d}",
            )
            for i in range(90)
        )
    run_analysis(runtime.session_factory, build_analyzer(runtime.settings, TextConfig()))
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["topics", "--brand", "acme", "--k", "3", "--json"])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["models"]["zh"]["topics"]) == 3
    shares = payload["shares"]
    assert {row["period"] for row in shares} == {"2026-08", "2026-09"}
    assert sum(row["count"] for row in shares) == 90

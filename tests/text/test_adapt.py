"""Self-training the default on unlabelled texts (text/adapt.py), on small synthetic data."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import make_brand
from tests.text.test_service import add_feedback
from trustpulse.config import Settings, get_settings
from trustpulse.text import active
from trustpulse.text.active import adapted
from trustpulse.text.adapt import (
    adapt_default,
    adaptation_step,
    chinese_texts,
    cross_fit,
    pseudo_labels,
    self_train,
)
from trustpulse.text.cli import app
from trustpulse.text.config import TextConfig
from trustpulse.text.default_model import DefaultSentiment
from trustpulse.text.language import normalise
from trustpulse.text.sentiment import SentimentModel, char_nb_pipeline, train_model
from trustpulse.text.service import build_analyzer

POSITIVE_WORDS = ["很满意", "非常喜欢", "真不错", "值得推荐"]
NEGATIVE_WORDS = ["很失望", "非常讨厌", "真糟糕", "不会推荐"]
FILLERS = ["这次", "总的来说", "老实说", "今天", "上周"]


def _source() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for filler in FILLERS:
        for word in POSITIVE_WORDS:
            texts.append(f"{filler}{word}")
            labels.append("positive")
        for word in NEGATIVE_WORDS:
            texts.append(f"{filler}{word}")
            labels.append("negative")
    return texts, labels


# the target domain's words (delivery) never occur in the source
TARGET = [f"{w}，送餐神速热乎乎" for w in POSITIVE_WORDS] + [
    f"{w}，饭菜冰凉洒一地" for w in NEGATIVE_WORDS
]


def _base(source: tuple[list[str], list[str]]) -> SentimentModel:
    return train_model(*source, name="tiny", pipeline=char_nb_pipeline(), holdout=False)


def _positive(model: SentimentModel, text: str) -> float:
    return float(model.probabilities([text])[0, model.classes.index("positive")])


def test_pseudo_labels_keep_the_most_confident_share_of_each_predicted_class() -> None:
    model = _base(_source())
    texts = ["很满意", "很满意非常喜欢真不错", "很失望", "很失望非常讨厌真糟糕"]

    chosen, labels = pseudo_labels(model, texts, share=0.5)

    assert sorted(zip(chosen, labels, strict=True)) == [
        ("很失望非常讨厌真糟糕", "negative"),
        ("很满意非常喜欢真不错", "positive"),
    ]


def test_pseudo_labels_of_no_texts_are_empty() -> None:
    assert pseudo_labels(_base(_source()), []) == ([], [])


def test_self_training_gives_target_only_words_the_polarity_they_occur_with() -> None:
    source = _source()
    base = _base(source)

    adapted = self_train(base, source, TARGET * 2, name="tiny-st")

    assert _positive(adapted, "送餐神速热乎乎") > _positive(base, "送餐神速热乎乎")
    assert _positive(adapted, "饭菜冰凉洒一地") < _positive(base, "饭菜冰凉洒一地")
    assert _positive(adapted, "饭菜冰凉洒一地") < 0.5 < _positive(adapted, "送餐神速热乎乎")


def test_cross_fitted_model_scores_a_corpus_text_with_the_half_that_never_saw_it() -> None:
    source = _source()
    corpus = [normalise(t) for t in TARGET]
    model = cross_fit(_base(source), source, corpus, name="tiny-cf")
    pipeline = model.pipeline
    unseen = "总的来说送餐神速"

    # a text of half 0 is scored by model 1 and the other way round
    expected = [
        pipeline.pipelines[int(_in(pipeline.halves[0], t))].predict_proba([t])[0] for t in corpus
    ]
    both = [p.predict_proba([unseen])[0] for p in pipeline.pipelines]

    assert all(len(half) > 0 for half in pipeline.halves)
    assert np.allclose(model.probabilities(corpus), np.array(expected))
    assert np.allclose(model.probabilities([unseen])[0], (both[0] + both[1]) / 2)


def _in(half: frozenset[bytes], text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[:8] in half


def test_adapted_default_is_cached_and_versioned_by_its_corpus(tmp_path: Path) -> None:
    source = _source()
    default = DefaultSentiment(_base(source))

    first = adapt_default(default, TARGET, tmp_path, source=source)
    again = adapt_default(default, list(TARGET), tmp_path, source=source)
    other = adapt_default(default, TARGET[:-1], tmp_path, source=source)

    assert again.version == first.version
    assert other.version != first.version != default.version
    assert len(list(tmp_path.glob("*.joblib"))) == 2
    assert first.zh.metrics["adaptation_texts"] == len(TARGET)


def test_adaptation_waits_for_the_first_step_and_then_uses_the_largest_reached() -> None:
    assert adaptation_step(999, (1000, 2000)) == 0
    assert adaptation_step(1999, (1000, 2000)) == 1000
    assert adaptation_step(50_000, (1000, 2000)) == 2000


@pytest.mark.usefixtures("settings")
def test_chinese_texts_are_distinct_redacted_and_oldest_first(session: Session) -> None:
    add_feedback(
        session,
        ["送餐太慢了，电话13812345678", "The food was cold.", "味道很好", "味道很好", "", "量很足"],
        brand="acme",
    )
    add_feedback(session, ["别的品牌的评论"], brand="other")
    acme = make_brand(session, code="acme").id

    texts = chinese_texts(session, brand_ids=(acme,))
    first_two = chinese_texts(session, brand_ids=(acme,), limit=2)

    assert len(texts) == 3
    assert "13812345678" not in texts[0]
    assert texts[0].startswith("送餐太慢了")
    assert texts[1:] == ["味道很好", "量很足"]
    assert first_two == texts[:2]
    assert chinese_texts(session, excluded=(acme,)) == ["别的品牌的评论"]


def test_evaluate_adapt_on_scores_with_the_default_adapted_to_that_file(
    tmp_path: Path, default_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(default_models_dir, home / "models")
    monkeypatch.setenv("TRUSTPULSE_HOME", str(home))  # the CLI reads the user's environment
    get_settings.cache_clear()
    data = tmp_path / "zh.csv"
    pd.DataFrame(
        {"text": ["太难吃了，再也不点了", "味道很好，送餐也快"] * 3, "label": [0, 1] * 3}
    ).to_csv(data, index=False)
    args = ["evaluate", "--model", "default", "--input", str(data), "--text-column", "text"]
    args += ["--label-column", "label", "--json", "--adapt-on", str(data)]

    result = CliRunner().invoke(app, args)

    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model_version"].startswith("default-zh-v2-st1-")
    assert report["n"] == 6
    assert len(list((home / "models").glob("default-zh-v2-st1-*.joblib"))) == 1


def test_a_group_with_fewer_texts_than_the_first_step_keeps_the_unadapted_default(
    session: Session, settings: Settings, home_with_default_model: Path
) -> None:
    add_feedback(session, ["送餐太慢了", "味道很好", "The food was cold."], brand="acme")
    analyzer = build_analyzer(settings, TextConfig())

    kept = adapted(session, settings, analyzer, None, steps=(3,))

    assert kept.version == analyzer.version
    assert "st1" not in kept.version


@pytest.mark.parametrize(
    ("adapt_default", "adapt", "adapts"),
    [(True, True, True), (False, True, False), (True, False, False)],
)
def test_groups_adapt_only_when_the_configuration_and_the_caller_allow_it(
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    home_with_default_model: Path,
    *,
    adapt_default: bool,
    adapt: bool,
    adapts: bool,
) -> None:
    """text.yaml `adapt_default: false` is the opt-out; `text analyze --no-adapt` (the demo's
    first analysis) leaves adapting to a later run."""
    make_brand(session, code="acme")
    calls: list[tuple[int, ...] | None] = []

    def spy(_session: Session, _settings: Settings, analyzer: Any, brand_ids: Any, *_: Any) -> Any:
        calls.append(brand_ids)
        return analyzer

    monkeypatch.setattr(active, "adapted", spy)
    config = TextConfig(adapt_default=adapt_default)
    monkeypatch.setattr(active, "load_text_config", lambda *_a, **_k: config)

    groups = active.brand_groups(session, settings, adapt=adapt)

    assert len(groups) == 1
    assert calls == ([None] if adapts else [])

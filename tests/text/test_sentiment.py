"""Trainable sentiment models (text/sentiment.py): hold-out metrics and model files."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from trustpulse.text.sentiment import NBLogisticRegression, distinct, load_model, train_model

SYLLABLES = ["ka", "lo", "mi", "ne", "pu", "ri", "so", "tu", "ve", "zo"]


def _noise_corpus(*, distinct_texts: int, copies: int) -> tuple[list[str], list[str]]:
    """Random words with random labels, each text repeated: only memorising can score."""
    rnd = random.Random(5)
    texts = [
        " ".join("".join(rnd.sample(SYLLABLES, 3)) for _ in range(4)) for _ in range(distinct_texts)
    ]
    labels = [rnd.choice(["pos", "neg"]) for _ in texts]
    return texts * copies, labels * copies


def test_holdout_never_scores_a_text_the_probe_trained_on() -> None:
    texts, labels = _noise_corpus(distinct_texts=200, copies=5)

    model = train_model(texts, labels)

    assert model.metrics["n_train"] == 1000
    assert model.metrics["n_distinct"] == 200
    assert model.metrics["holdout_deduplicated"] is True
    assert model.metrics["holdout_n"] == 40
    # with duplicates on both sides of the split this reached 1.0 (memorised copies)
    assert model.metrics["holdout_accuracy"] < 0.75


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_texts_differing_only_in_width_and_spacing_are_one_text_for_the_holdout() -> None:
    texts, labels = _noise_corpus(distinct_texts=100, copies=1)
    variants = [_full_width(t) for t in texts] + [t.replace(" ", "   ") for t in texts]

    model = train_model(texts + variants, labels * 3)

    assert model.metrics["n_train"] == 300
    assert model.metrics["n_distinct"] == 100
    assert model.metrics["holdout_accuracy"] < 0.75


def test_a_text_filed_under_two_labels_keeps_its_first() -> None:
    assert distinct(["a", "b", "a"], ["pos", "neg", "neg"]) == (["a", "b"], ["pos", "neg"])


def test_model_file_round_trip_keeps_metrics(tmp_path: Path) -> None:
    texts = ["很好", "不错", "满意", "很差", "失望", "糟糕"] * 10
    labels = ["pos", "pos", "pos", "neg", "neg", "neg"] * 10

    model = train_model(texts, labels, name="tiny")
    model.save(tmp_path / "m.joblib")
    loaded = load_model(tmp_path / "m.joblib")

    assert loaded.version == model.version
    assert loaded.metrics == model.metrics
    assert [p.label for p in loaded.predict(["很好", "很差"])] == ["pos", "neg"]


def test_three_classes_get_probabilities_that_sum_to_one() -> None:
    texts = ["很好 满意", "不错 喜欢", "很差 失望", "糟糕 退货", "一般 还行", "普通 凑合"] * 10
    labels = ["pos", "pos", "neg", "neg", "meh", "meh"] * 10

    model = train_model(texts, labels, holdout=False)
    proba = model.probabilities(["很好 喜欢", "糟糕 失望", "一般 凑合"])

    assert model.classes == ["meh", "neg", "pos"]
    assert proba.sum(axis=1).round(6).tolist() == [1.0, 1.0, 1.0]
    assert [model.classes[i] for i in proba.argmax(axis=1)] == ["pos", "neg", "meh"]


def _toy_features() -> tuple[Any, list[str]]:
    texts = ["很好 满意 一般", "不错 喜欢 一般", "很差 失望 一般", "糟糕 退货"] * 5 + [
        "一般 还行"
    ] * 20
    labels = ["pos", "pos", "neg", "neg"] * 5 + ["pos"] * 20
    return TfidfVectorizer(analyzer="char").fit_transform(texts), labels


def test_the_plain_model_is_averaged_with_the_scaled_one() -> None:
    x, labels = _toy_features()

    model = NBLogisticRegression(c=4.0, plain_c=16.0).fit(x, labels)

    scaled = model.models_[0].predict_proba(x.multiply(model.ratios_[0]).tocsr())[:, 1]
    plain = model.plain_models_[0].predict_proba(x)[:, 1]
    assert np.allclose(model.predict_proba(x)[:, 1], (scaled + plain) / 2)


def test_balanced_classes_lift_the_minority() -> None:
    x, labels = _toy_features()  # 10 negative texts against 30 positive

    plain = NBLogisticRegression().fit(x, labels).predict_proba(x)[:, 0]
    balanced = NBLogisticRegression(class_weight="balanced").fit(x, labels).predict_proba(x)[:, 0]

    assert (balanced > plain).all()


def test_models_saved_before_the_plain_half_still_predict() -> None:
    x, labels = _toy_features()
    model = NBLogisticRegression().fit(x, labels)
    expected = model.predict_proba(x)

    del model.plain_models_  # custom-v2 files have no such attribute

    assert np.array_equal(model.predict_proba(x), expected)

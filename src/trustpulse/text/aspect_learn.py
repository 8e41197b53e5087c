"""Proposing aspect-lexicon terms from labelled texts: weighted log-odds with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008) of each word in the texts labelled with a
category against the texts that are not, written in the `aspects:` format of text.yaml; and
measuring a lexicon plus learnt terms by cross-validation (terms learnt on the other folds);
and training the learnt check on the lexicon (`aspect_model.py`) from labelled texts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_classifier import AspectClassifier, text_features, with_lexicon
from trustpulse.text.aspect_model import (
    AspectModel,
    Labelled,
    TrainSettings,
    choose_thresholds,
    cross_validated,
    fit,
    out_of_fold,
    train,
)
from trustpulse.text.aspect_sample import CATEGORIES, CATEGORY_OF_ASPECT, category_of, fold_of
from trustpulse.text.aspects import INFLECT, AspectTagger
from trustpulse.text.config import TRUST_DIMENSIONS, AspectCues, AspectSpec
from trustpulse.text.service import Analyzer, TextResult, aspect_results, prepare
from trustpulse.text.topics import topic_tokens

# bench/aspect_classifier.py's choice (docs/text.md, "A classifier that adds tags")
CLASSIFIER_SETTINGS = TrainSettings(c=3.0)

# category -> (aspect name, dimension) for the categories that are not trust dimensions
_ASPECT_OF_CATEGORY = {
    category: (aspect, "service_responsiveness") for aspect, category in CATEGORY_OF_ASPECT.items()
}


PRIOR_WEIGHT = 100.0


@dataclass(frozen=True)
class LearntTerm:
    term: str
    z: float  # log-odds z-score: above 1.96 is unlikely to be chance at 5 %
    in_category: int  # labelled texts containing it
    elsewhere: int

    @property
    def precision(self) -> float:
        """Share of the texts containing the word that carry the label."""
        return self.in_category / (self.in_category + self.elsewhere)


def parse_label_cell(cell: str) -> set[str]:
    """`delivery_logistics;price_value` or the sample's `delivery_logistics:-;...` -> names."""
    return {part.split(":", 1)[0].strip() for part in cell.split(";") if part.strip()}


def learn_terms(
    texts: Sequence[str],
    labels: Sequence[set[str]],
    *,
    top: int = 20,
    min_count: int = 3,
    min_z: float = 1.96,
    min_precision: float = 0.0,
    prepared: Sequence[TextResult] | None = None,
) -> dict[str, list[LearntTerm]]:
    """Per label, the words most over-represented in its texts (document counts, so a word
    repeated in one text counts once). Texts with no label are negatives for every label.
    `min_precision` drops words whose texts carry the label less often than that (a word
    over-represented in a label's texts can still be said mostly elsewhere); `prepared`
    spares preparing the texts again."""
    docs = []
    for result in prepared if prepared is not None else [prepare(t) for t in texts]:
        docs.append(set(topic_tokens(result.tokens, result.language)))
    names = sorted(set().union(*labels)) if labels else []
    prior = Counter(t for doc in docs for t in doc)
    prior_total = sum(prior.values())
    out: dict[str, list[LearntTerm]] = {}
    for name in names:
        inside = Counter(t for doc, ls in zip(docs, labels, strict=True) if name in ls for t in doc)
        outside = Counter(
            t for doc, ls in zip(docs, labels, strict=True) if name not in ls for t in doc
        )
        n_in, n_out = sum(inside.values()), sum(outside.values())
        found = []
        for term, count in inside.items():
            if count < min_count:
                continue
            # the word's corpus share, with the prior worth PRIOR_WEIGHT words in all
            alpha = PRIOR_WEIGHT * prior[term] / prior_total
            a_in, a_out = count + alpha, outside[term] + alpha
            delta = math.log(a_in / (n_in + PRIOR_WEIGHT - a_in)) - math.log(
                a_out / (n_out + PRIOR_WEIGHT - a_out)
            )
            z = delta / math.sqrt(1 / a_in + 1 / a_out)
            learnt = LearntTerm(term, z, count, outside[term])
            if z >= min_z and learnt.precision >= min_precision:
                found.append(learnt)
        found.sort(key=lambda t: (-t.z, t.term))
        out[name] = found[:top]
    return out


def as_config(learnt: dict[str, list[LearntTerm]]) -> dict[str, Any]:
    """The `aspects:` block of text.yaml: aspect `<label>_learnt` (or the category's lexicon
    aspect name) -> {dimension, terms}. Raises InvalidInputError for a label that is neither a
    trust dimension nor one of the sample's categories."""
    aspects: dict[str, Any] = {}
    for label, terms in learnt.items():
        dimension: str
        if label in TRUST_DIMENSIONS:
            aspect, dimension = f"{label}_learnt", label
        elif label in _ASPECT_OF_CATEGORY:
            aspect, dimension = _ASPECT_OF_CATEGORY[label]
            aspect = f"{aspect}_learnt"
        else:
            known = sorted(set(TRUST_DIMENSIONS) | set(CATEGORIES))
            raise InvalidInputError(
                f"label {label!r} is not a trust dimension (use one of {', '.join(known)})",
                field="label",
            )
        aspects[aspect] = {"dimension": dimension, "terms": [_surface(t.term) for t in terms]}
    return {"aspects": aspects}


def _surface(word: str) -> str:
    """English words match with their inflections (the texts said `dress`: `dresses` too)."""
    return f"{word}{INFLECT}" if word.isascii() and word.isalpha() else word


def with_learnt(
    aspects: Mapping[str, AspectSpec], learnt: dict[str, list[LearntTerm]]
) -> dict[str, AspectSpec]:
    """The lexicon plus the learnt terms, each label's as an aspect of its own."""
    merged = dict(aspects)
    for name, spec in as_config(learnt)["aspects"].items():
        if spec["terms"]:
            merged[name] = AspectSpec.model_validate(spec)
    return merged


@dataclass(frozen=True)
class TermRecord:
    """How a lexicon entry did on labelled texts where it was its category's only evidence."""

    aspect: str
    term: str
    alone_right: int  # ... and the text is labelled with the category
    alone_wrong: int

    @property
    def precision(self) -> float:
        return self.alone_right / (self.alone_right + self.alone_wrong)


def term_records(
    tagger: AspectTagger, prepared: Sequence[TextResult], labels: Sequence[set[str]]
) -> list[TermRecord]:
    """Per lexicon entry, the labelled texts in which it alone made its category (labels are
    the sample's categories: `category_of` an aspect). A term next to others of its category
    neither earns nor costs anything there: dropping it would change nothing."""
    counts: dict[tuple[str, str], list[int]] = {}
    for result, label in zip(prepared, labels, strict=True):
        by_category: dict[str, set[tuple[str, str]]] = {}
        for aspect, term in tagger.entries(result.comparable):
            category = category_of({"aspect": aspect, "dimension": tagger.dimensions[aspect]})
            by_category.setdefault(category, set()).add((aspect, term))
        for category, found in by_category.items():
            if len(found) == 1:
                record = counts.setdefault(found.pop(), [0, 0])
                record[0 if category in label else 1] += 1
    return [TermRecord(a, t, right, wrong) for (a, t), (right, wrong) in sorted(counts.items())]


def prune_terms(
    lexicon: Mapping[str, AspectSpec],
    prepared: Sequence[TextResult],
    labels: Sequence[set[str]],
    *,
    ignore: Sequence[str] = (),
    min_precision: float = 0.8,
    min_count: int = 3,
) -> list[TermRecord]:
    """Lexicon entries that, alone, were right less often than `min_precision` in at least
    `min_count` labelled texts: words said mostly about something else in this domain (服务
    about the courier, the room, the network)."""
    tagger = AspectTagger(lexicon, ignore)
    return [
        r
        for r in term_records(tagger, prepared, labels)
        if r.alone_right + r.alone_wrong >= min_count and r.precision < min_precision
    ]


def without(
    lexicon: Mapping[str, AspectSpec], dropped: Sequence[TermRecord]
) -> dict[str, AspectSpec]:
    drop = {(r.aspect, r.term) for r in dropped}
    return {
        name: spec.model_copy(update={"terms": [t for t in spec.terms if (name, t) not in drop]})
        for name, spec in lexicon.items()
    }


@dataclass(frozen=True)
class CrossValidation:
    found: list[list[dict[str, Any]]]  # per text: aspects found with its fold's lexicon
    learnt: list[dict[str, list[LearntTerm]]]  # per fold: terms learnt without it
    pruned: list[list[TermRecord]]  # per fold: lexicon entries dropped without it


def cross_validate(
    analyzer: Analyzer,
    lexicon: Mapping[str, AspectSpec],
    texts: Sequence[str],
    labels: Sequence[set[str]],
    keys: Sequence[str],
    *,
    folds: int = 5,
    ignore: Sequence[str] = (),
    cues: AspectCues | None = None,
    prune_below: float | None = 0.5,
    learn: bool = True,
    min_precision: float = 0.8,
    min_count: int = 3,
    top: int = 20,
) -> CrossValidation:
    """Each text tagged by `lexicon` adapted on the texts of the other folds only: entries
    pruned (`prune_terms`) and terms learnt (`learn_terms`, words whose texts carry the label
    at least `min_precision` of the time) there, so no text is scored with what was learnt
    from itself. Folds come from `fold_of(key)`: adding texts does not reshuffle the old."""
    prepared = [prepare(t) for t in texts]
    fold = [fold_of(k, folds) for k in keys]
    found: list[list[dict[str, Any]]] = [[] for _ in texts]
    all_learnt, all_pruned = [], []
    for held_out in range(folds):
        train = [i for i, f in enumerate(fold) if f != held_out]
        test = [i for i, f in enumerate(fold) if f == held_out]
        train_prepared = [prepared[i] for i in train]
        train_labels = [labels[i] for i in train]
        pruned = (
            prune_terms(
                lexicon,
                train_prepared,
                train_labels,
                ignore=ignore,
                min_precision=prune_below,
                min_count=min_count,
            )
            if prune_below is not None
            else []
        )
        learnt = (
            learn_terms(
                [texts[i] for i in train],
                train_labels,
                top=top,
                min_count=min_count,
                min_precision=min_precision,
                prepared=train_prepared,
            )
            if learn
            else {}
        )
        all_pruned.append(pruned)
        all_learnt.append(learnt)
        tagger = AspectTagger(with_learnt(without(lexicon, pruned), learnt), ignore, cues)
        results = aspect_results(replace(analyzer, aspects=tagger), [prepared[i] for i in test])
        for i, result in zip(test, results, strict=True):
            found[i] = result
    return CrossValidation(found, all_learnt, all_pruned)


def train_check(
    tagger: AspectTagger,
    texts: Sequence[str],
    labels: Sequence[set[str]],
    settings: TrainSettings | None = None,
) -> AspectModel:
    """A learnt check on `tagger`'s lexicon (`aspect_model.fit`) from labelled texts, labels
    being the sample's categories (trust dimensions, price_value, delivery_logistics);
    thresholds by 5-fold cross-validation over the texts in their order. Raises
    InvalidInputError for an unknown label."""
    _known_labels(labels)
    feats = [tagger.model_features(prepare(t).comparable) for t in texts]
    keys = [str(i) for i in range(len(texts))]
    return fit(Labelled(feats, list(labels)), keys, settings or TrainSettings())


def train_classifier(
    tagger: AspectTagger,
    texts: Sequence[str],
    labels: Sequence[set[str]],
    settings: TrainSettings = CLASSIFIER_SETTINGS,
) -> AspectClassifier:
    """The text-level classifier (`aspect_classifier`) from labelled texts, as
    bench/aspect_classifier.py chose it: whole-text features only, read as the union with what
    `tagger`'s lexicon finds, thresholds by 5-fold cross-validation of that union over the texts
    in their order (metrics: the cross-validated precision and recall). Raises
    InvalidInputError for an unknown label."""
    _known_labels(labels)
    comparable = [prepare(t).comparable for t in texts]
    hits = [tagger.lexicon_hits(t) for t in comparable]
    sample = Labelled(
        [text_features(t, h, lexicon=False) for t, h in zip(comparable, hits, strict=True)],
        list(labels),
    )
    probabilities = out_of_fold(sample, [str(i) for i in range(len(texts))], settings)
    found = [{h.category for h in row} for row in hits]
    choice = choose_thresholds(with_lexicon(probabilities, found), sample.labels)
    model = train([sample], settings, {c: s.threshold for c, s in choice.items()})
    metrics = {
        "texts": len(texts),
        "settings": {"c": settings.c, "balanced": settings.balanced, "min_df": settings.min_df},
        "cross_validated": cross_validated(choice, model.categories),
    }
    return AspectClassifier(replace(model, metrics=metrics), lexicon_features=False, union=True)


def _known_labels(labels: Sequence[set[str]]) -> None:
    unknown = set().union(*labels) - set(CATEGORIES) if labels else set()
    if unknown:
        raise InvalidInputError(
            f"unknown label {sorted(unknown)[0]!r} (use {', '.join(CATEGORIES)})", field="label"
        )

"""Proposing aspect-lexicon terms from labelled texts: weighted log-odds with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008) of each word in the texts labelled with a
category against the texts that are not, written in the `aspects:` format of text.yaml."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_sample import CATEGORIES, CATEGORY_OF_ASPECT
from trustpulse.text.config import TRUST_DIMENSIONS
from trustpulse.text.service import prepare
from trustpulse.text.topics import topic_tokens

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
) -> dict[str, list[LearntTerm]]:
    """Per label, the words most over-represented in its texts (document counts, so a word
    repeated in one text counts once). Texts with no label are negatives for every label."""
    docs = []
    for text in texts:
        prepared = prepare(text)
        docs.append(set(topic_tokens(prepared.tokens, prepared.language)))
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
            if z >= min_z:
                found.append(LearntTerm(term, z, count, outside[term]))
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
        aspects[aspect] = {"dimension": dimension, "terms": [t.term for t in terms]}
    return {"aspects": aspects}

"""The hand-labelled aspect sample: readers that fetch its texts from a local copy of the public
data sets (only ids and labels are committed), the seeded draw it was picked by, and precision /
recall of the aspect tagger per trust category against it."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trustpulse.errors import InvalidInputError

# The seven: the five trust dimensions of the lexicon, with price/value and
# delivery/logistics counted on their own (in the lexicon they are the `value` aspect and the
# `delivery` aspect of service_responsiveness).
CATEGORIES = (
    "product_reliability",
    "service_responsiveness",
    "information_transparency",
    "professionalism",
    "responsibility",
    "price_value",
    "delivery_logistics",
)
CATEGORY_OF_ASPECT = {"delivery": "delivery_logistics"}
SENTIMENTS = {"+": "positive", "-": "negative", "0": "neutral"}
SEED = 5


def _rows(frame: pd.DataFrame, text_column: str) -> dict[str, str]:
    """Row key = 0-based data row of the file as shipped (these sets have no ids)."""
    texts = frame[text_column].fillna("").astype(str)
    return {str(i): t for i, t in enumerate(texts)}


def _waimai(root: Path) -> dict[str, str]:
    return _rows(pd.read_csv(root / "waimai_10k" / "waimai_10k.csv", dtype=str), "review")


def _shopping(root: Path) -> dict[str, str]:
    path = root / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz"
    return _rows(pd.read_csv(path, dtype=str), "review")


def _hotel(root: Path) -> dict[str, str]:
    path = root / "chnsenticorp_htl_all" / "ChnSentiCorp_htl_all.csv"
    return _rows(pd.read_csv(path, dtype=str), "review")


def _clothing(root: Path) -> dict[str, str]:
    path = root / "womens_clothing_ecommerce_reviews" / "womens_clothing_reviews.csv.gz"
    frame = pd.read_csv(path, dtype=str, usecols=["row_id", "Review Text"]).dropna()
    return dict(zip(frame["row_id"], frame["Review Text"], strict=True))


def _alexa(root: Path) -> dict[str, str]:
    frame = pd.read_csv(root / "amazon_alexa_reviews" / "amazon_alexa.csv", dtype=str)
    return _rows(frame, "verified_reviews")


def _airline(root: Path) -> dict[str, str]:
    path = root / "twitter_us_airline_sentiment" / "Tweets.csv"
    frame = pd.read_csv(path, dtype=str, usecols=["tweet_id", "text"])
    return dict(zip(frame["tweet_id"], frame["text"], strict=True))


def _twcs(root: Path) -> dict[str, str]:
    """The customers' tweets only (inbound), by tweet_id."""
    path = root / "twcs_customer_support_slice" / "twcs_slice.csv"
    frame = pd.read_csv(path, dtype=str, usecols=["tweet_id", "inbound", "text"])
    frame = frame[frame["inbound"] == "True"]
    return dict(zip(frame["tweet_id"], frame["text"].fillna(""), strict=True))


def _cfpb(root: Path) -> dict[str, str]:
    """Complaint narratives by Complaint ID (most complaints have none)."""
    path = root / "cfpb_consumer_complaints_sample" / "complaints_sample.csv"
    columns = ["Complaint ID", "Consumer complaint narrative"]
    frame = pd.read_csv(path, dtype=str, usecols=columns).dropna()
    return dict(zip(frame[columns[0]], frame[columns[1]], strict=True))


READERS: dict[str, Callable[[Path], dict[str, str]]] = {
    "waimai_10k": _waimai,
    "online_shopping_10_cats": _shopping,
    "chnsenticorp_htl_all": _hotel,
    "womens_clothing": _clothing,
    "amazon_alexa": _alexa,
    "twitter_airline": _airline,
    "twcs_inbound": _twcs,
    "cfpb_narratives": _cfpb,
}
# texts drawn per data set, and the length window that keeps a text readable in one go
DRAW: dict[str, tuple[int, int, int]] = {
    "waimai_10k": (60, 8, 120),
    "online_shopping_10_cats": (80, 8, 150),
    "chnsenticorp_htl_all": (40, 10, 150),
    "womens_clothing": (40, 20, 250),
    "amazon_alexa": (30, 20, 250),
    "twitter_airline": (70, 20, 200),
}


# Second stage: the first 320 gave fewer than 30 texts about transparency, professionalism and
# responsibility, which complaints talk about; so 100 more from the negative side of each set
# (its own label, or the airline set's negative reasons about staff, luggage and cancellations).
NEGATIVE_DRAW: dict[str, tuple[int, int, int]] = {
    "waimai_10k": (20, 8, 120),
    "online_shopping_10_cats": (40, 8, 150),
    "chnsenticorp_htl_all": (15, 10, 150),
    "twitter_airline": (25, 20, 200),
}
AIRLINE_REASONS = (
    "Flight Attendant Complaints",
    "Customer Service Issue",
    "Damaged Luggage",
    "Cancelled Flight",
    "Flight Booking Problems",
)


# Third stage: the first two still held fewer than 30 texts about professionalism (26) and
# responsibility (19); complaints to companies talk about conduct, refunds and promises.
COMPLAINT_DRAW: dict[str, tuple[int, int, int]] = {
    "twcs_inbound": (70, 40, 280),
    "cfpb_narratives": (50, 100, 700),
}


def _negative_keys(data_dir: Path, name: str) -> set[str]:
    if name == "twitter_airline":
        path = data_dir / "twitter_us_airline_sentiment" / "Tweets.csv"
        frame = pd.read_csv(path, dtype=str, usecols=["tweet_id", "negativereason"])
        return set(frame.loc[frame["negativereason"].isin(AIRLINE_REASONS), "tweet_id"])
    paths = {
        "waimai_10k": data_dir / "waimai_10k" / "waimai_10k.csv",
        "online_shopping_10_cats": data_dir
        / "online_shopping_10_cats"
        / "online_shopping_10_cats.csv.gz",
        "chnsenticorp_htl_all": data_dir / "chnsenticorp_htl_all" / "ChnSentiCorp_htl_all.csv",
    }
    labels = pd.read_csv(paths[name], dtype=str, usecols=["label"])["label"].tolist()
    return {str(i) for i, label in enumerate(labels) if label == "0"}


# A fresh held-out draw (issue #5): the first sample's `report` half had been scored too often
# to stay evidence, so about 300 new texts, none of them already labelled, weighted toward the
# complaint sets and negative reviews where service, price, transparency, professionalism and
# responsibility are talked about.
FRESH_SEED = 29
FRESH_COMPLAINT_DRAW: dict[str, tuple[int, int, int]] = {
    "twcs_inbound": (85, 40, 280),
    "cfpb_narratives": (50, 100, 700),
}
FRESH_NEGATIVE_DRAW: dict[str, tuple[int, int, int]] = {
    "twitter_airline": (55, 20, 200),
    "waimai_10k": (30, 8, 120),
    "online_shopping_10_cats": (40, 8, 150),
    "chnsenticorp_htl_all": (25, 10, 150),
}
FRESH_REVIEW_DRAW: dict[str, tuple[int, int, int]] = {"womens_clothing": (15, 20, 250)}
# the 300 held 28 texts about delivery: a top-up from the set that talks about it most
FRESH_TOPUP_DRAW: dict[str, tuple[int, int, int]] = {"waimai_10k": (15, 8, 120)}

# a stage = (plan, drawn from the negative side only)
Stage = tuple[Mapping[str, tuple[int, int, int]], bool]
STAGES: tuple[Stage, ...] = ((DRAW, False), (NEGATIVE_DRAW, True), (COMPLAINT_DRAW, False))
FRESH_STAGES: tuple[Stage, ...] = (
    (FRESH_COMPLAINT_DRAW, False),
    (FRESH_NEGATIVE_DRAW, True),
    (FRESH_REVIEW_DRAW, False),
    (FRESH_TOPUP_DRAW, True),
)

# A fourth draw (issue #5), labelled before any use: the fresh plan with another seed, and 20
# more complaint texts because the plan's 315 fell short of the 330 asked for (a text the
# top-up draws again is dropped, so 334).
FOURTH_SEED = 113
FOURTH_TOPUP_DRAW: dict[str, tuple[int, int, int]] = {
    "cfpb_narratives": (10, 100, 700),
    "twcs_inbound": (10, 40, 280),
}
FOURTH_STAGES: tuple[Stage, ...] = (*FRESH_STAGES, (FOURTH_TOPUP_DRAW, False))


def draw_sample(
    data_dir: Path,
    *,
    seed: int = SEED,
    stages: Sequence[Stage] = STAGES,
    exclude: Collection[tuple[str, str]] = (),
) -> list[tuple[str, str, str]]:
    """(dataset, id, text) in labelling order: per stage, a seeded draw per data set of
    distinct texts inside the length window (online_shopping evenly over its 10 categories),
    from the negative side only where the stage says so; rows an earlier stage took are
    dropped. The default stages are the first sample's (DRAW, NEGATIVE_DRAW, COMPLAINT_DRAW).
    `exclude` holds (dataset, id) pairs never to draw, nor any text equal to theirs.
    Only the data sets' own fields stratify the draw: the tagger played no part in it."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible sample draw, not a secret
    excluded = set(exclude)
    drawn: list[tuple[str, str, str]] = []
    for plan, negative in stages:
        taken = {(d, k) for d, k, _t in drawn}
        rows = _draw(
            data_dir,
            plan,
            rng,
            (lambda name: _negative_keys(data_dir, name)) if negative else (lambda _name: None),
            excluded,
        )
        drawn += [row for row in rows if (row[0], row[1]) not in taken]
    return drawn


def _draw(
    data_dir: Path,
    plan: Mapping[str, tuple[int, int, int]],
    rng: random.Random,
    allowed: Callable[[str], set[str] | None],
    excluded: set[tuple[str, str]],
) -> list[tuple[str, str, str]]:
    drawn: list[tuple[str, str, str]] = []
    for name, (count, low, high) in plan.items():
        texts = READERS[name](data_dir)
        seen = {t for k, t in texts.items() if (name, k) in excluded}
        only = allowed(name)
        keys = [
            k
            for k, t in texts.items()
            if low <= len(t.strip()) <= high
            and (only is None or k in only)
            and (name, k) not in excluded
            and t not in seen
        ]
        if name == "online_shopping_10_cats":
            path = data_dir / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz"
            cats = pd.read_csv(path, dtype=str, usecols=["cat"])["cat"].tolist()
            pools = {c: [k for k in keys if cats[int(k)] == c] for c in sorted(set(cats))}
            chosen = [k for pool in pools.values() for k in rng.sample(pool, count // 10 * 3)]
            per = dict.fromkeys(pools, 0)
            picked = []
            for k in chosen:
                if texts[k] not in seen and per[cats[int(k)]] < count // 10:
                    seen.add(texts[k])
                    per[cats[int(k)]] += 1
                    picked.append(k)
        else:
            picked = []
            for k in rng.sample(keys, count * 3):
                if texts[k] not in seen and len(picked) < count:
                    seen.add(texts[k])
                    picked.append(k)
        drawn += [(name, k, texts[k]) for k in picked]
    return drawn


def read_labels(path: Path) -> pd.DataFrame:
    """The labelled sample: dataset, id, split (tune/report), labels
    (`category:+|-|0` joined by `;`, empty when the text speaks about none)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for row, value in enumerate(frame["labels"], start=2):
        for part in filter(None, value.split(";")):
            category, _, sign = part.partition(":")
            if category not in CATEGORIES or sign not in SENTIMENTS:
                raise InvalidInputError(
                    f"{path}: line {row}: bad label {part!r}", row=row, field="labels"
                )
    return frame


def parse_labels(value: str) -> dict[str, str]:
    """`product_reliability:+;delivery_logistics:-` -> {category: sentiment label}."""
    pairs = (part.partition(":") for part in value.split(";") if part)
    return {category: SENTIMENTS[sign] for category, _, sign in pairs}


def with_texts(labels: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """The labels joined with their texts from `data_dir` (a copy of ../shared/data)."""
    by_dataset = {name: READERS[name](data_dir) for name in labels["dataset"].unique()}
    texts = []
    for dataset, key in zip(labels["dataset"], labels["id"], strict=True):
        text = by_dataset[dataset].get(key)
        if text is None:
            raise InvalidInputError(f"{dataset} id {key} is not in {data_dir}", id=key)
        texts.append(text)
    return labels.assign(text=texts)


def fold_of(key: str, folds: int) -> int:
    """A stable fold for a text's key (dataset and id): the same on every machine and run."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % folds


def category_of(aspect: Mapping[str, Any]) -> str:
    """The sample's category of an aspect result; learnt aspects (`delivery_learnt`) count
    where the aspect they were learnt for does."""
    name = str(aspect["aspect"]).removesuffix("_learnt")
    return CATEGORY_OF_ASPECT.get(name, str(aspect["dimension"]))


@dataclass(frozen=True)
class CategoryScore:
    category: str
    labelled: int  # texts labelled with the category
    tagged: int
    hits: int  # tagged and labelled
    sentiment_agrees: int  # hits whose aspect sentiment equals the labelled one

    @property
    def precision(self) -> float:
        return self.hits / self.tagged if self.tagged else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.labelled if self.labelled else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "labelled": self.labelled,
            "tagged": self.tagged,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "sentiment_agreement": round(self.sentiment_agrees / self.hits, 3)
            if self.hits
            else None,
        }


def score_categories(
    gold: Sequence[Mapping[str, str]], found: Sequence[Iterable[Mapping[str, Any]]]
) -> list[CategoryScore]:
    """Text-level precision/recall per category. `found` holds each text's aspect results
    (`service.aspect_results`); where a category is tagged twice in one text, the first
    mention's sentiment is compared (a text carries one labelled sentiment per category)."""
    scores = []
    tagged_per_text = []
    for aspects in found:
        first: dict[str, str] = {}
        for aspect in aspects:
            first.setdefault(category_of(aspect), str(aspect["sentiment_label"]))
        tagged_per_text.append(first)
    for category in CATEGORIES:
        labelled = [category in g for g in gold]
        tagged = [category in t for t in tagged_per_text]
        hits = [i for i, (a, b) in enumerate(zip(labelled, tagged, strict=True)) if a and b]
        agrees = sum(gold[i][category] == tagged_per_text[i][category] for i in hits)
        scores.append(CategoryScore(category, sum(labelled), sum(tagged), len(hits), agrees))
    return scores

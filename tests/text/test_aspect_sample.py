"""The aspect tagger against the hand-labelled sample of real texts (ids + labels in
tests/text/fixtures/aspect_labels.csv, texts from ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_sample import (
    CATEGORIES,
    FOURTH_SEED,
    FOURTH_STAGES,
    FRESH_SEED,
    FRESH_STAGES,
    CategoryScore,
    draw_sample,
    parse_labels,
    read_labels,
    score_categories,
    with_texts,
)
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.config import load_text_config
from trustpulse.text.default_model import DefaultSentiment
from trustpulse.text.service import Analyzer, aspect_results, prepare

LABELS = Path(__file__).resolve().parent / "fixtures" / "aspect_labels.csv"
# the fresh held-out draw, labelled before the tagger ran on it and never tuned on
FRESH_LABELS = LABELS.with_name("aspect_labels_fresh.csv")
# the fourth draw, labelled before any tagger or model ran on it
FOURTH_LABELS = LABELS.with_name("aspect_labels_fourth.csv")
# every sample labelled before the fourth draw (the second labeller's rows are fresh rows)
EARLIER_LABELS = [LABELS, FRESH_LABELS, LABELS.with_name("aspect_labels_third.csv")]
# the bar applies to categories with at least this many labelled texts
MIN_LABELLED = 30


def test_sample_has_300_labelled_texts_in_two_halves() -> None:
    frame = read_labels(LABELS)
    assert len(frame) >= 300
    assert set(frame["split"]) == {"tune", "report"}
    assert not frame.duplicated(["dataset", "id"]).any()


def test_bad_label_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("dataset,id,split,labels\nwaimai_10k,1,tune,delivery_logistics:?\n")
    with pytest.raises(InvalidInputError, match="line 2"):
        read_labels(path)


def test_scores_count_text_level_hits_and_sentiment() -> None:
    gold = [{"delivery_logistics": "negative"}, {"price_value": "positive"}, {}]
    found = [
        [
            {
                "aspect": "delivery",
                "dimension": "service_responsiveness",
                "sentiment_label": "negative",
            }
        ],
        [{"aspect": "value", "dimension": "price_value", "sentiment_label": "negative"}],
        [{"aspect": "value", "dimension": "price_value", "sentiment_label": "neutral"}],
    ]
    scores = {s.category: s for s in score_categories(gold, found)}
    assert scores["delivery_logistics"] == CategoryScore("delivery_logistics", 1, 1, 1, 1)
    assert scores["price_value"] == CategoryScore("price_value", 1, 2, 1, 0)
    assert scores["price_value"].precision == 0.5
    assert scores["service_responsiveness"].tagged == 0


_SCORED: dict[Path, dict[str, CategoryScore]] = {}


@pytest.fixture
def held_out(shared_data: Path, default_sentiment: DefaultSentiment) -> dict[str, CategoryScore]:
    """Scores of the shipped lexicon on the fresh sample: texts labelled before the tagger ran
    on them and never read while tuning it (both halves of the first sample were), so the
    honest figure; computed once."""
    if shared_data not in _SCORED:
        _SCORED[shared_data] = _score(shared_data, default_sentiment, FRESH_LABELS)
    return _SCORED[shared_data]


def _score(
    shared_data: Path, default_sentiment: DefaultSentiment, labels: Path
) -> dict[str, CategoryScore]:
    config = load_text_config(Settings(home=shared_data / "no-home"))
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    analyzer = Analyzer(default=default_sentiment, aspects=tagger)
    frame = with_texts(read_labels(labels), shared_data)
    found = aspect_results(analyzer, [prepare(t) for t in frame["text"]])
    gold = [parse_labels(v) for v in frame["labels"]]
    return {s.category: s for s in score_categories(gold, found)}


@pytest.mark.shared_data
def test_sample_was_drawn_by_the_seeded_draw(shared_data: Path) -> None:
    drawn = [(dataset, key) for dataset, key, _text in draw_sample(shared_data)]
    frame = read_labels(LABELS)
    assert drawn == list(zip(frame["dataset"], frame["id"], strict=True))


@pytest.mark.shared_data
def test_fresh_sample_was_drawn_apart_from_the_first(shared_data: Path) -> None:
    old = read_labels(LABELS)
    old_keys = set(zip(old["dataset"], old["id"], strict=True))
    drawn = draw_sample(shared_data, seed=FRESH_SEED, stages=FRESH_STAGES, exclude=old_keys)
    fresh = read_labels(FRESH_LABELS)
    assert [(d, k) for d, k, _t in drawn] == list(zip(fresh["dataset"], fresh["id"], strict=True))
    assert not old_keys & set(zip(fresh["dataset"], fresh["id"], strict=True))


@pytest.mark.shared_data
def test_fourth_sample_was_drawn_apart_from_the_others(shared_data: Path) -> None:
    earlier = [read_labels(path) for path in EARLIER_LABELS]
    old_keys = {key for f in earlier for key in zip(f["dataset"], f["id"], strict=True)}
    drawn = draw_sample(shared_data, seed=FOURTH_SEED, stages=FOURTH_STAGES, exclude=old_keys)
    fourth = read_labels(FOURTH_LABELS)
    keys = list(zip(fourth["dataset"], fourth["id"], strict=True))
    assert [(d, k) for d, k, _t in drawn] == keys
    assert not old_keys & set(keys)


def test_fourth_sample_has_30_labelled_texts_per_category() -> None:
    frame = read_labels(FOURTH_LABELS)
    assert len(frame) >= 330
    assert set(frame["split"]) == {"fourth"}
    assert not frame.duplicated(["dataset", "id"]).any()
    counts = {c: sum(c in parse_labels(v) for v in frame["labels"]) for c in CATEGORIES}
    assert min(counts.values()) >= MIN_LABELLED


def test_fresh_sample_has_30_labelled_texts_per_category() -> None:
    frame = read_labels(FRESH_LABELS)
    assert set(frame["split"]) == {"fresh"}
    assert not frame.duplicated(["dataset", "id"]).any()
    counts = {c: sum(c in parse_labels(v) for v in frame["labels"]) for c in CATEGORIES}
    assert min(counts.values()) >= MIN_LABELLED


def test_bar_applies_to_every_category() -> None:
    frame = read_labels(FRESH_LABELS)
    counts = {c: sum(c in parse_labels(v) for v in frame["labels"]) for c in CATEGORIES}
    assert {c for c, n in counts.items() if n >= MIN_LABELLED} == set(BAR_MET) | set(BAR_MISSED)


# fresh sample (315 texts), lexicon v4 (docs/text.md): product 0.81 / 0.67
BAR_MET = ["product_reliability"]
# service 0.75 / 0.61, transparency 0.81 / 0.48, professionalism 0.69 / 0.26, responsibility
# 0.86 / 0.45, price/value 0.68 / 0.70, delivery 0.79 / 0.77
BAR_MISSED = [
    "service_responsiveness",
    "information_transparency",
    "professionalism",
    "responsibility",
    "price_value",
    "delivery_logistics",
]


@pytest.mark.shared_data
@pytest.mark.parametrize("category", BAR_MET)
def test_held_out_sample_meets_the_bar(held_out: dict[str, CategoryScore], category: str) -> None:
    assert held_out[category].precision >= 0.8
    assert held_out[category].recall >= 0.6


@pytest.mark.shared_data
@pytest.mark.xfail(strict=True, reason="bar not met yet: docs/text.md, hand-labelled sample")
@pytest.mark.parametrize("category", BAR_MISSED)
def test_bar_not_met_yet(held_out: dict[str, CategoryScore], category: str) -> None:
    assert held_out[category].precision >= 0.8
    assert held_out[category].recall >= 0.6


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "category", ["service_responsiveness", "price_value", "delivery_logistics"]
)
def test_recall_bar_where_precision_falls_short(
    held_out: dict[str, CategoryScore], category: str
) -> None:
    assert held_out[category].recall >= 0.6


@pytest.fixture
def fourth(shared_data: Path, default_sentiment: DefaultSentiment) -> dict[str, CategoryScore]:
    """Scores of the shipped lexicon on the fourth draw: labelled before any tagger or model
    ran on it, read once for v4 and once for the text-level classifier; computed once."""
    key = shared_data / FOURTH_LABELS.name
    if key not in _SCORED:
        _SCORED[key] = _score(shared_data, default_sentiment, FOURTH_LABELS)
    return _SCORED[key]


# fourth draw (334 texts), lexicon v4 (docs/text.md): no category meets both bars. Product
# 0.73 / 0.71, service 0.67 / 0.52, transparency 0.82 / 0.44, professionalism 0.57 / 0.22,
# responsibility 0.73 / 0.43, price/value 0.85 / 0.58, delivery 0.79 / 0.70
FOURTH_BAR_MISSED = list(CATEGORIES)


def test_bar_applies_to_every_category_of_the_fourth_draw() -> None:
    frame = read_labels(FOURTH_LABELS)
    counts = {c: sum(c in parse_labels(v) for v in frame["labels"]) for c in CATEGORIES}
    assert {c for c, n in counts.items() if n >= MIN_LABELLED} == set(FOURTH_BAR_MISSED)


@pytest.mark.shared_data
@pytest.mark.xfail(strict=True, reason="bar not met yet: docs/text.md, a classifier that adds tags")
@pytest.mark.parametrize("category", FOURTH_BAR_MISSED)
def test_bar_not_met_yet_on_the_fourth_draw(
    fourth: dict[str, CategoryScore], category: str
) -> None:
    assert fourth[category].precision >= 0.8
    assert fourth[category].recall >= 0.6


@pytest.mark.shared_data
@pytest.mark.parametrize("category", ["product_reliability", "delivery_logistics"])
def test_recall_bar_on_the_fourth_draw(fourth: dict[str, CategoryScore], category: str) -> None:
    assert fourth[category].recall >= 0.6


@pytest.mark.shared_data
@pytest.mark.parametrize("category", ["information_transparency", "price_value"])
def test_precision_bar_on_the_fourth_draw(fourth: dict[str, CategoryScore], category: str) -> None:
    assert fourth[category].precision >= 0.8


def test_every_category_is_known() -> None:
    frame = read_labels(LABELS)
    used = {c for value in frame["labels"] for c in parse_labels(value)}
    assert used == set(CATEGORIES)

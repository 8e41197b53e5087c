"""The second labeller's file (tests/text/fixtures/aspect_labels_second.csv) against the fresh
sample it was drawn from: well-formed, the seeded 160 rows, and the counts that
docs/aspect-agreement.md reports. No texts are needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trustpulse.text.aspect_sample import CATEGORIES, parse_labels, read_labels

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRESH = FIXTURES / "aspect_labels_fresh.csv"
SECOND = FIXTURES / "aspect_labels_second.csv"


def test_second_labels_are_the_seeded_160_fresh_rows() -> None:
    fresh = read_labels(FRESH)  # read_labels rejects unknown categories and signs
    second = read_labels(SECOND)
    assert list(second.columns) == ["dataset", "id", "split", "labels"]
    assert set(second["split"]) == {"second"}
    positions = sorted(np.random.default_rng(41).choice(len(fresh), 160, replace=False))
    drawn = fresh.iloc[positions]
    assert list(zip(second["dataset"], second["id"], strict=True)) == list(
        zip(drawn["dataset"], drawn["id"], strict=True)
    )
    assert not second.duplicated(["dataset", "id"]).any()


def test_agreement_counts_are_the_reported_ones() -> None:
    """(labelled by 1, labelled by 2, both) per category, as in docs/aspect-agreement.md."""
    fresh = read_labels(FRESH).set_index(["dataset", "id"])
    second = read_labels(SECOND)
    keys = zip(second["dataset"], second["id"], strict=True)
    one = [parse_labels(fresh.loc[key, "labels"]) for key in keys]
    two = [parse_labels(value) for value in second["labels"]]
    counts = {
        c: (
            sum(c in a for a in one),
            sum(c in b for b in two),
            sum(c in a and c in b for a, b in zip(one, two, strict=True)),
        )
        for c in CATEGORIES
    }
    assert counts == {
        "product_reliability": (74, 70, 70),
        "service_responsiveness": (32, 33, 32),
        "information_transparency": (28, 29, 27),
        "professionalism": (18, 17, 15),
        "responsibility": (20, 21, 20),
        "price_value": (18, 19, 17),
        "delivery_logistics": (19, 19, 19),
    }
    assert sum(set(a) == set(b) for a, b in zip(one, two, strict=True)) == 146

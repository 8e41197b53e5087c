"""Multi-label topic and action classification on twcs_labeled_topics_actions: one-vs-rest
word 1-2 + char 2-4 TF-IDF logistic regression, per company and file (topics of inbound
tweets, actions of outbound replies), 5-fold cross-validated micro/macro-F1 against a baseline
that predicts each label's training-fold prior as a constant ("stratified" would be noise;
"most_frequent" predicts nothing, F1 0).

    .venv/bin/python bench/twcs_topics.py [--data DIR]

Labels with fewer than 5 positives in a file are left out (they cannot be cross-validated).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs_labeled_topics_actions"
META = [
    "main_tweet_id",
    "tweet_id",
    "in_response_to_tweet_id",
    "response_tweet_id",
    "created_at",
    "author_id",
    "inbound",
    "text",
    "company",
]
MIN_POSITIVES = 5


def model() -> Pipeline:
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        ]
    )
    clf = OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced"))
    return Pipeline([("features", features), ("clf", clf)])


def evaluate(path: Path) -> dict[str, object]:
    frame = pd.read_csv(path)
    labels = [c for c in frame.columns if c not in META and frame[c].sum() >= MIN_POSITIVES]
    texts = frame["text"].astype(str).to_numpy()
    y = frame[labels].to_numpy().astype(int)
    predicted = np.zeros_like(y)
    baseline = np.zeros_like(y)
    for train, test in KFold(5, shuffle=True, random_state=0).split(texts):
        fitted = model().fit(list(texts[train]), y[train])
        predicted[test] = fitted.predict(list(texts[test]))
        for j in range(y.shape[1]):
            # per label: constant "yes" if on at least half the training rows, else "no"
            dummy = DummyClassifier(strategy="most_frequent").fit(texts[train], y[train, j])
            baseline[test, j] = dummy.predict(texts[test])
    # a stronger baseline: always predict the single most common label
    common = y.sum(axis=0).argmax()
    always = np.zeros_like(y)
    always[:, common] = 1
    return {
        "file": path.stem,
        "n": len(frame),
        "labels": len(labels),
        "micro_f1": f1_score(y, predicted, average="micro", zero_division=0),
        "macro_f1": f1_score(y, predicted, average="macro", zero_division=0),
        "majority_micro_f1": f1_score(y, baseline, average="micro", zero_division=0),
        "top_label_micro_f1": f1_score(y, always, average="micro", zero_division=0),
        "top_label_macro_f1": f1_score(y, always, average="macro", zero_division=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    for path in sorted(args.data.glob("twcs-*.csv")):
        row = evaluate(path)
        print(
            f"{row['file']:32s} n={row['n']} labels={row['labels']}: "
            f"micro-F1 {row['micro_f1']:.3f} macro-F1 {row['macro_f1']:.3f} | baselines: "
            f"majority micro {row['majority_micro_f1']:.3f}, top label always micro "
            f"{row['top_label_micro_f1']:.3f} macro {row['top_label_macro_f1']:.3f}"
        )


if __name__ == "__main__":
    main()

"""Responsibility hints for complaints: who has to act (ours / supplier / customer_side /
external) and the root cause, from the complaint text.

The classifiers are ordinary text models (`text.sentiment.train_model`); this module owns the
taxonomy, the hand-labelled sample shipped as ids + labels (`data/responsibility_labels.csv`,
no texts: the source data sets' licences do not allow copying them), the readers that fetch the
labelled texts from a local copy of the public data sets, and cross-validation against a
majority-class baseline. Labelling guide: docs/text.md.
"""

from __future__ import annotations

import glob
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from trustpulse.errors import InvalidInputError
from trustpulse.text.language import normalise
from trustpulse.text.sentiment import SentimentModel, char_word_pipeline, train_model

LABELS_FILE = Path(__file__).resolve().parent / "data" / "responsibility_labels.csv"
TASKS = ("responsibility", "root_cause")
RESPONSIBILITIES = ("ours", "supplier", "customer_side", "external")
ROOT_CAUSES = (
    "product_defect",
    "service_outage",
    "billing_error",
    "delivery_delay",
    "service_attitude",
    "policy_misunderstanding",
    "customer_device",
    "data_error",
    "collection_practice",
    "fraud",
    "third_party_outage",
    "network_coverage",
    "public_nuisance",
    "infrastructure",
)
OTHER = "other"
# stratified 5-fold needs >= 5 per class; below 10 a class cannot be learnt from this sample
MIN_CLASS_SIZE = 10


def _cfpb(root: Path) -> dict[str, str]:
    frame = pd.read_csv(
        root / "cfpb_consumer_complaints_sample" / "complaints_sample.csv",
        usecols=["Complaint ID", "Consumer complaint narrative"],
        dtype=str,
    ).dropna()
    return dict(zip(frame["Complaint ID"], frame["Consumer complaint narrative"], strict=True))


def _comcast(root: Path) -> dict[str, str]:
    frame = pd.read_csv(root / "comcast_telecom_complaints" / "comcast_complaints.csv", dtype=str)
    return dict(zip(frame["Ticket #"], frame["Customer Complaint"], strict=True))


def _nyc311(root: Path) -> dict[str, str]:
    """311 requests carry no free text here: the text is 'complaint type: descriptor'."""
    frame = pd.read_csv(
        root / "nyc311_service_requests_samples" / "nyc311_samples.csv",
        usecols=["unique_key", "complaint_type", "descriptor"],
        dtype=str,
    ).dropna()
    texts = frame["complaint_type"] + ": " + frame["descriptor"]
    return dict(zip(frame["unique_key"], texts, strict=True))


def _twcs(root: Path) -> dict[str, str]:
    frame = pd.read_csv(
        root / "twcs_customer_support_slice" / "twcs_slice.csv",
        usecols=["tweet_id", "text"],
        dtype=str,
    )
    return dict(zip(frame["tweet_id"], frame["text"], strict=True))


def _twcs_labeled(root: Path) -> dict[str, str]:
    files = sorted(glob.glob(str(root / "twcs_labeled_topics_actions" / "*-inbound.csv")))
    frame = pd.concat([pd.read_csv(f, usecols=["tweet_id", "text"], dtype=str) for f in files])
    return dict(zip(frame["tweet_id"], frame["text"], strict=True))


READERS: dict[str, Callable[[Path], dict[str, str]]] = {
    "cfpb": _cfpb,
    "comcast": _comcast,
    "nyc311": _nyc311,
    "twcs": _twcs,
    "twcs_labeled": _twcs_labeled,
}


def read_labels(path: Path = LABELS_FILE) -> pd.DataFrame:
    """The shipped labels: dataset, id, responsibility, root_cause (all strings)."""
    frame = pd.read_csv(path, dtype=str)
    unknown = set(frame["responsibility"]) - set(RESPONSIBILITIES)
    unknown |= set(frame["root_cause"]) - set(ROOT_CAUSES)
    if unknown:
        raise InvalidInputError(f"{path}: unknown labels {sorted(unknown)}")
    return frame


def labelled_texts(data_dir: Path, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """The labels joined with their texts from `data_dir` (a copy of ../shared/data).

    Raises InvalidInputError naming the first id that is not in the data.
    """
    labels = read_labels() if labels is None else labels
    texts: list[str] = []
    unknown = set(labels["dataset"]) - set(READERS)
    if unknown:
        raise InvalidInputError(f"unknown datasets {sorted(unknown)} in the labels")
    by_dataset = {name: READERS[name](data_dir) for name in labels["dataset"].unique()}
    for dataset, item in zip(labels["dataset"], labels["id"], strict=True):
        text = by_dataset[dataset].get(item)
        if text is None:
            raise InvalidInputError(f"{dataset} id {item} is not in {data_dir}", id=item)
        texts.append(text)
    return labels.assign(text=texts)


def merge_rare(labels: Sequence[str], *, min_size: int = MIN_CLASS_SIZE) -> list[str]:
    """Classes with fewer than min_size examples become `other` (for cross-validation)."""
    counts = Counter(labels)
    return [y if counts[y] >= min_size else OTHER for y in labels]


@dataclass(frozen=True)
class CvResult:
    task: str
    n: int
    classes: dict[str, int]
    macro_f1: float
    accuracy: float
    baseline_macro_f1: float
    baseline_accuracy: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "n": self.n,
            "classes": self.classes,
            "macro_f1": round(self.macro_f1, 3),
            "accuracy": round(self.accuracy, 3),
            "baseline_macro_f1": round(self.baseline_macro_f1, 3),
            "baseline_accuracy": round(self.baseline_accuracy, 3),
        }


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    task: str,
    pipeline: Pipeline | None = None,
    folds: int = 5,
    seed: int = 0,
) -> CvResult:
    """Stratified k-fold macro-F1 and accuracy of the model and of a majority-class baseline,
    pooled over the folds' predictions."""
    x = np.asarray([normalise(t) for t in texts], dtype=object)
    y = np.asarray(labels, dtype=object)
    predicted = np.empty(len(y), dtype=object)
    baseline = np.empty(len(y), dtype=object)
    template = pipeline or char_word_pipeline()
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = clone(template).fit(list(x[train]), list(y[train]))
        predicted[test] = model.predict(list(x[test]))
        dummy = DummyClassifier(strategy="most_frequent").fit(x[train].reshape(-1, 1), y[train])
        baseline[test] = dummy.predict(x[test].reshape(-1, 1))
    classes = sorted(set(labels))
    return CvResult(
        task=task,
        n=len(y),
        classes=dict(Counter(labels).most_common()),
        macro_f1=float(f1_score(y, predicted, average="macro", labels=classes)),
        accuracy=float(accuracy_score(y, predicted)),
        baseline_macro_f1=float(
            f1_score(y, baseline, average="macro", labels=classes, zero_division=0)
        ),
        baseline_accuracy=float(accuracy_score(y, baseline)),
    )


def balanced_pipeline() -> Pipeline:
    """The custom-model features with class-balanced weights: the minority responsibilities
    (supplier, customer_side) are the ones a complaint desk needs flagged (macro-F1 0.48-0.50
    against 0.34-0.36 unweighted, bench/responsibility.py)."""
    pipeline = char_word_pipeline()
    pipeline.set_params(clf=LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced"))
    return pipeline


def train_hint_models(frame: pd.DataFrame) -> dict[str, SentimentModel]:
    """One model per task from labelled texts (columns text, responsibility, root_cause).

    The label column's name is stored in the model's metrics so `text hint` can name its
    output columns.
    """
    models = {}
    for task in TASKS:
        model = train_model(
            frame["text"].tolist(), frame[task].tolist(), name=task, pipeline=balanced_pipeline()
        )
        model.metrics["label_column"] = task
        models[task] = model
    return models

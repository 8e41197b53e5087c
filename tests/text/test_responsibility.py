"""Responsibility hints: the shipped hand labels, cross-validation, `text hint`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trustpulse.errors import InvalidInputError
from trustpulse.text.cli import app
from trustpulse.text.responsibility import (
    RESPONSIBILITIES,
    balanced_pipeline,
    cross_validate,
    labelled_texts,
    merge_rare,
    read_labels,
)
from trustpulse.text.sentiment import train_model

runner = CliRunner()

COMPLAINTS = {
    "ours": ["you charged me twice this month", "your agent hung up on me", "outage again today"],
    "external": ["someone stole my card", "neighbours party all night", "identity thief opened it"],
}


def test_shipped_labels_use_the_taxonomy_and_hold_no_text() -> None:
    labels = read_labels()
    assert len(labels) >= 300
    assert list(labels.columns) == ["dataset", "id", "responsibility", "root_cause"]
    assert set(labels["responsibility"]) == set(RESPONSIBILITIES)
    assert not labels.duplicated(["dataset", "id"]).any()


def test_rare_root_causes_merge_into_other() -> None:
    assert merge_rare(["a"] * 10 + ["b"] * 3, min_size=10) == ["a"] * 10 + ["other"] * 3


def test_hint_adds_a_column_pair_per_model(tmp_path: Path) -> None:
    texts = [t for group in COMPLAINTS.values() for t in group] * 10
    labels = [label for label, group in COMPLAINTS.items() for _ in group] * 10
    model = train_model(texts, labels, name="responsibility", holdout=False)
    model.metrics["label_column"] = "responsibility"
    model.save(tmp_path / "responsibility.joblib")
    pd.DataFrame({"body": ["you charged me twice", "the neighbours party"]}).to_csv(
        tmp_path / "in.csv", index=False
    )
    result = runner.invoke(
        app,
        [
            "hint",
            "--model",
            str(tmp_path / "responsibility.joblib"),
            "--input",
            str(tmp_path / "in.csv"),
            "--text-column",
            "body",
            "--out",
            str(tmp_path / "out.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["responsibility"].tolist() == ["ours", "external"]
    assert out["responsibility_score"].between(0, 1).all()


@pytest.mark.shared_data
def test_every_labelled_id_is_in_the_public_data(shared_data: Path) -> None:
    frame = labelled_texts(shared_data)
    assert frame["text"].str.strip().str.len().gt(0).all()


@pytest.mark.shared_data
def test_unknown_id_is_named(shared_data: Path) -> None:
    labels = read_labels().head(1).assign(id="no-such-id")
    with pytest.raises(InvalidInputError, match="no-such-id"):
        labelled_texts(shared_data, labels)


@pytest.mark.shared_data
def test_cross_validated_macro_f1_beats_majority_baseline(shared_data: Path) -> None:
    frame = labelled_texts(shared_data)
    for task in ("responsibility", "root_cause"):
        result = cross_validate(
            frame["text"].tolist(),
            merge_rare(frame[task].tolist()),
            task=task,
            pipeline=balanced_pipeline(),
        )
        # measured 0.48 / 0.50 against 0.21 / 0.02 (docs/text.md)
        assert result.macro_f1 >= result.baseline_macro_f1 + 0.15

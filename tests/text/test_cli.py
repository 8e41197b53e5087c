from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trustpulse.config import get_settings
from trustpulse.errors import InvalidInputError
from trustpulse.text.cli import app
from trustpulse.text.sentiment import load_model

runner = CliRunner()

WORDS = {
    "good": ["味道很好", "送得很快", "great food", "friendly rider", "包装精美", "分量足"],
    "bad": ["太难吃了", "送餐超时", "cold and late", "rude driver", "洒了一半", "分量太少"],
    "meh": ["还行吧", "一般般", "it was ok", "nothing special", "中规中矩", "average"],
}


def _labelled_file(
    path: Path, *, n: int = 240, classes: tuple[str, ...] = ("good", "bad", "meh")
) -> Path:
    rnd = random.Random(3)
    rows = []
    for i in range(n):
        label = classes[i % len(classes)]
        text = "，".join(rnd.sample(WORDS[label], 2)) + rnd.choice(("。", "!", ""))
        rows.append({"review": text, "verdict": label})
    frame = pd.DataFrame(rows)
    if path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".xlsx"])
def test_train_evaluate_score_round_trip(tmp_path: Path, suffix: str) -> None:
    data = _labelled_file(tmp_path / f"labelled{suffix}")
    model_path = tmp_path / "model.joblib"
    trained = runner.invoke(
        app,
        [
            "train",
            "--input",
            str(data),
            "--text-column",
            "review",
            "--label-column",
            "verdict",
            "--out",
            str(model_path),
        ],
    )
    assert trained.exit_code == 0, trained.output
    model = load_model(model_path)
    assert model.classes == ["bad", "good", "meh"]
    assert len(model.training_data_hash) == 64

    evaluated = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            str(model_path),
            "--input",
            str(data),
            "--text-column",
            "review",
            "--label-column",
            "verdict",
            "--json",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert {"n", "accuracy", "macro_f1", "docs_per_s", "confusion_matrix", "labels"} <= set(report)
    assert report["n"] == 240
    assert report["accuracy"] >= 0.95
    assert sum(map(sum, report["confusion_matrix"])) == 240

    out = tmp_path / f"scored{suffix}"
    scored = runner.invoke(
        app,
        [
            "score",
            "--model",
            str(model_path),
            "--input",
            str(data),
            "--text-column",
            "review",
            "--out",
            str(out),
        ],
    )
    assert scored.exit_code == 0, scored.output
    frame = (
        pd.read_csv(out, sep="\t")
        if suffix == ".tsv"
        else (
            pd.read_json(out, lines=True)
            if suffix == ".jsonl"
            else (pd.read_excel(out) if suffix == ".xlsx" else pd.read_csv(out))
        )
    )
    assert {"label", "score"} <= set(frame.columns)
    assert (frame["label"] == frame["verdict"]).mean() >= 0.95
    assert frame["score"].between(0, 1).all()


def test_integer_labels_are_accepted(tmp_path: Path) -> None:
    data = tmp_path / "ints.csv"
    pd.DataFrame(
        {
            "t": [f"很好{i}" for i in range(30)] + [f"很差{i}" for i in range(30)],
            "y": [1] * 30 + [0] * 30,
        }
    ).to_csv(data, index=False)
    result = runner.invoke(
        app,
        [
            "train",
            "--input",
            str(data),
            "--text-column",
            "t",
            "--label-column",
            "y",
            "--out",
            str(tmp_path / "m.joblib"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "m.joblib").classes == ["0", "1"]


def _error(args: list[str]) -> InvalidInputError:
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InvalidInputError), result.output
    return result.exception


def test_missing_column_is_one_clear_error(tmp_path: Path) -> None:
    data = _labelled_file(tmp_path / "a.csv")
    error = _error(
        [
            "train",
            "--input",
            str(data),
            "--text-column",
            "text",
            "--label-column",
            "verdict",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert "no column 'text'" in error.message
    assert "\n" not in error.message


def test_one_class_only_is_refused(tmp_path: Path) -> None:
    data = _labelled_file(tmp_path / "a.csv", classes=("good",))
    error = _error(
        [
            "train",
            "--input",
            str(data),
            "--text-column",
            "review",
            "--label-column",
            "verdict",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert "at least 2 label classes" in error.message


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a spreadsheet")
    error = _error(
        [
            "train",
            "--input",
            str(bad),
            "--text-column",
            "review",
            "--label-column",
            "verdict",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert error.message.startswith(f"cannot read {bad}")


def test_evaluate_default_maps_zero_one_labels(
    tmp_path: Path, default_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the CLI reads its settings from the environment, like a user's shell
    monkeypatch.setenv("TRUSTPULSE_HOME", str(default_models_dir.parent))
    get_settings.cache_clear()
    data = tmp_path / "zh.csv"
    pd.DataFrame(
        {
            "text": [
                "太难吃了，再也不点了",
                "味道很好，送餐也快",
                "The food was terrible",
                "Great service",
            ],
            "label": [0, 1, 0, 1],
        }
    ).to_csv(data, index=False)
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            "default",
            "--input",
            str(data),
            "--text-column",
            "text",
            "--label-column",
            "label",
            "--json",
        ],
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"] == ["negative", "positive"]
    assert report["accuracy"] == 1.0

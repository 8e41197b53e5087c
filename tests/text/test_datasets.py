"""Reading and writing labelled text files (text/datasets.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trustpulse.text import datasets


def test_tsv_with_a_lone_quote_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "reviews.tsv"
    path.write_text(
        'label\ttext_a\n1\t屏幕14"，很清楚\n0\t电池不行\n1\t"好评\n0\t差评\n', encoding="utf-8"
    )

    frame = datasets.read_table(path)

    assert frame["text_a"].tolist() == ['屏幕14"，很清楚', "电池不行", '"好评', "差评"]
    assert frame["label"].tolist() == ["1", "0", "1", "0"]


def test_tsv_written_with_quotes_and_tabs_reads_back_row_for_row(tmp_path: Path) -> None:
    path = tmp_path / "scored.tsv"
    frame = pd.DataFrame({"text": ['say "hi', "a\tb", "line\nbreak"], "label": ["1", "0", "1"]})

    datasets.write_table(frame, path)
    back = datasets.read_table(path)

    assert back["text"].tolist() == ['say "hi', "a b", "line break"]
    assert back["label"].tolist() == ["1", "0", "1"]


def test_csv_keeps_quoted_commas_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"text": ["good, fast", "two\nlines"], "label": ["1", "0"]}).to_csv(
        path, index=False
    )

    texts, labels = datasets.labelled(path, "text", "label")

    assert texts == ["good, fast", "two\nlines"]
    assert labels == ["1", "0"]

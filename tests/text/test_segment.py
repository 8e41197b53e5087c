"""Segmentation (text/segment.py): jieba's words, with and without its HMM."""

from __future__ import annotations

import csv
from pathlib import Path

import jieba
import pytest

from trustpulse.text import segment
from trustpulse.text.language import add_user_terms

TEXTS = ["", " a b  c\r\nd", "ABC123 abc 你好world", "İstanbul 😀 ok!", "C++和C#以及.NET 3.5%-4"]


@pytest.mark.parametrize("hmm", [True, False])
@pytest.mark.parametrize("text", [*TEXTS, "蓝瘦香菇", "小明硕士毕业于中国科学院计算所"])
def test_cut_is_jiebas_cut(text: str, hmm: bool) -> None:
    assert segment.cut(jieba.dt, text, hmm=hmm) == jieba.lcut(text, HMM=hmm)


@pytest.mark.parametrize("hmm", [True, False])
def test_cut_matches_jieba_on_real_reviews_and_user_terms(shared_data: Path, hmm: bool) -> None:
    with (shared_data / "waimai_10k" / "waimai_10k.csv").open(encoding="utf-8") as fh:
        reviews = [row["review"] for row in csv.DictReader(fh)]
    add_user_terms(["送餐快", "极速达"])

    differing = [t for t in reviews if segment.cut(jieba.dt, t, hmm=hmm) != jieba.lcut(t, HMM=hmm)]

    assert len(reviews) > 9_000
    assert differing == []

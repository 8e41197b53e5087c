"""Batch segmentation (text/segment_batch.py): jieba's words, word for word."""

from __future__ import annotations

import pytest

from tests.text.test_features import MIXED
from trustpulse.text.language import add_user_terms, tokenise_dictionary_words
from trustpulse.text.segment_batch import dictionary_words_many


def test_batch_segmentation_gives_jiebas_words() -> None:
    assert dictionary_words_many(MIXED) == [tokenise_dictionary_words(t) for t in MIXED]


def test_texts_with_very_long_blocks_are_segmented_one_by_one() -> None:
    long_block = "送餐很快味道不错" * 200  # 1,600 characters without punctuation
    texts = ["很好", long_block, "太慢了"]

    assert dictionary_words_many(texts) == [tokenise_dictionary_words(t) for t in texts]


def test_batch_segmentation_sees_user_terms() -> None:
    add_user_terms(["极速达", "小米汤圆"])

    assert dictionary_words_many(MIXED) == [tokenise_dictionary_words(t) for t in MIXED]
    assert "极速达" in dictionary_words_many(["小米汤圆极速达送到了"])[0]


@pytest.mark.shared_data
def test_batch_segmentation_gives_jiebas_words_on_real_reviews(real_reviews: list[str]) -> None:
    assert dictionary_words_many(real_reviews) == [
        tokenise_dictionary_words(t) for t in real_reviews
    ]

from __future__ import annotations

import pytest

from tests.text.test_features import MIXED
from trustpulse.text.language import (
    add_user_terms,
    detect_language,
    detect_languages,
    normalise,
    tokenise,
    traditional_to_simplified_available,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("送餐太慢了，饭都凉了", "zh"),
        ("iPhone 15 的电池不耐用", "zh"),
        ("The delivery was late again", "en"),
        ("Das Essen war kalt", "en"),  # Latin script: en by design (script-based)
        ("Доставка опоздала", "other"),
        ("12345 !!!", "other"),
        ("[PHONE] 联系我", "zh"),
    ],
)
def test_language_is_detected_from_script(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_normalise_folds_full_width_and_collapses_spaces() -> None:
    assert normalise("ＡＢＣ１２３　ｔｅｓｔ  ！", to_simplified=False) == "ABC123 test !"


@pytest.mark.skipif(not traditional_to_simplified_available(), reason="opencc not installed")
def test_normalise_converts_traditional_to_simplified() -> None:
    assert normalise("這個產品質量很差") == "这个产品质量很差"
    assert normalise("這個產品", to_simplified=False) == "這個產品"


def test_user_terms_stay_whole_in_segmentation() -> None:
    add_user_terms(["极速达保障"])
    assert "极速达保障" in tokenise("这次用了极速达保障服务", "zh")


def test_english_tokens_are_lower_case_words() -> None:
    assert tokenise("Don't REFUND me, it's 2 late!", "en") == [
        "don't",
        "refund",
        "me",
        "it's",
        "2",
        "late",
    ]


def test_tokenise_without_hmm_splits_unknown_words_into_characters() -> None:
    assert tokenise("蓝瘦香菇", "zh", hmm=False) == ["蓝", "瘦", "香菇"]


def test_batch_language_detection_agrees_with_detect_language() -> None:
    texts = [*MIXED, "[PHONE] 打电话", "ＡＢＣ full width", "[not a placeholder] ok", "1234"]

    assert detect_languages(texts) == [detect_language(t) for t in texts]


@pytest.mark.shared_data
def test_batch_language_detection_agrees_on_real_reviews(real_reviews: list[str]) -> None:
    assert detect_languages(real_reviews) == [detect_language(t) for t in real_reviews]

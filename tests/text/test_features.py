"""Character n-gram TF-IDF counted in numpy (text/features.py): the same matrix as sklearn's."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from trustpulse.text.features import CharNgramVectorizer, WordNgramVectorizer, with_fast_vectorizers
from trustpulse.text.language import tokenise_dictionary_words
from trustpulse.text.sentiment import CUSTOM_RECIPE, SentimentModel, load_model, train_model

TRAIN = [
    "送餐很快，味道不错",
    "太慢了  等了两个小时",
    "Great  food, SLOW delivery!",
    "客服态度差\t退款也不给",
    "😀 好吃 😀",
    "İstanbul ÀÉ café",
] * 3
UNSEEN = ["", " ", "味道不错 but 太慢", "x", "SLOW\t\tfood", "😀", "全新的文字𠀀", "ab"]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 3), (1, 4), (2, 5)])
@pytest.mark.parametrize("lowercase", [True, False])
def test_counts_match_sklearns_char_analyzer(ngram_range: tuple[int, int], lowercase: bool) -> None:
    params = {"analyzer": "char", "ngram_range": ngram_range, "lowercase": lowercase}
    plain = TfidfVectorizer(**params, sublinear_tf=True).fit(TRAIN)
    fast = CharNgramVectorizer(**params, sublinear_tf=True).fit(TRAIN)

    expected = plain.transform(TRAIN + UNSEEN)
    got = fast.transform(TRAIN + UNSEEN)

    assert fast.vocabulary_ == plain.vocabulary_
    assert got.shape == expected.shape
    assert abs(got - expected).max() == 0


def test_a_vocabulary_too_wide_for_int64_codes_is_counted_by_sklearn() -> None:
    # 5,000 distinct characters need 13 bits each: 5-grams would take 65 bits
    wide = ["".join(chr(0x4E00 + (i * 7 + k) % 5000) for k in range(12)) for i in range(5000)]
    params = {"analyzer": "char", "ngram_range": (1, 5)}
    plain = TfidfVectorizer(**params).fit(wide)
    fast = CharNgramVectorizer(**params).fit(wide)

    got = fast.transform(wide[:50] + UNSEEN)

    assert fast._index() is None
    assert abs(got - plain.transform(wide[:50] + UNSEEN)).max() == 0


def test_a_saved_model_with_plain_vectorizers_predicts_the_same_after_loading(
    tmp_path: Path,
) -> None:
    texts = ["很好 满意", "不错 喜欢", "很差 失望", "糟糕 退货"] * 10
    labels = ["pos", "pos", "neg", "neg"] * 10
    plain = Pipeline(
        [
            ("features", FeatureUnion([("char", TfidfVectorizer(analyzer="char"))])),
            ("clf", train_model(texts, labels, holdout=False).pipeline.steps[-1][1]),
        ]
    )
    plain.fit(texts, labels)
    expected = plain.predict_proba(["很好 喜欢", "糟糕 失望"])
    model = SentimentModel(plain, ["neg", "pos"], "0" * 64)
    model.save(tmp_path / "old.joblib")

    loaded = load_model(tmp_path / "old.joblib")

    char = loaded.pipeline.named_steps["features"].transformer_list[0][1]
    assert type(char) is CharNgramVectorizer
    assert np.array_equal(loaded.probabilities(["很好 喜欢", "糟糕 失望"]), expected)


def test_the_vocabulary_index_is_not_pickled() -> None:
    fast = CharNgramVectorizer(analyzer="char").fit(TRAIN)
    fast.transform(UNSEEN)

    restored = pickle.loads(pickle.dumps(fast))  # noqa: S301 -- our own bytes

    assert not hasattr(restored, "_vocab_index")
    assert abs(restored.transform(UNSEEN) - fast.transform(UNSEEN)).max() == 0


def test_word_vectorizers_of_other_tokenisers_are_left_to_sklearn() -> None:
    pipeline = Pipeline([("word", TfidfVectorizer(analyzer="word"))])

    assert type(with_fast_vectorizers(pipeline).steps[0][1]) is TfidfVectorizer


def test_dictionary_word_vectorizers_are_made_fast_when_loaded() -> None:
    step = TfidfVectorizer(tokenizer=tokenise_dictionary_words, token_pattern=None)

    assert type(with_fast_vectorizers(Pipeline([("word", step)])).steps[0][1]) is (
        WordNgramVectorizer
    )


MIXED = [
    *TRAIN,
    *UNSEEN,
    "iPhone12很好用!!3.5元买的T恤，ABC123 abc",
    "\n换行\n测试\t制表 ",
    "㐀㐁 ０１２ 𠀀𠀁好 é à 한국어 カタカナ",
    "---...%%%+++###&&&___",
    "中华人民共和国中央人民政府门户网站",  # words longer than four characters
    "小米汤圆极速达送到了",
]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_word_counts_match_sklearns(ngram_range: tuple[int, int]) -> None:
    params = {
        "tokenizer": tokenise_dictionary_words,
        "token_pattern": None,
        "lowercase": False,
        "ngram_range": ngram_range,
        "sublinear_tf": True,
    }
    plain = TfidfVectorizer(**params).fit(MIXED)
    fast = WordNgramVectorizer(**params).fit(MIXED)

    texts = [*MIXED, "好 好 好"]
    assert fast.vocabulary_ == plain.vocabulary_
    assert abs(fast.transform(texts) - plain.transform(texts)).max() == 0


def test_text_train_names_its_models_after_the_recipe() -> None:
    model = train_model(["很好", "很差"] * 30, ["pos", "neg"] * 30, holdout=False)

    assert model.version.startswith(f"{CUSTOM_RECIPE}-")

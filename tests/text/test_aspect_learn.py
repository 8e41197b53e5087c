"""`trustpulse text learn-aspects`: lexicon terms proposed from labelled texts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_learn import (
    cross_validate,
    learn_terms,
    prune_terms,
    without,
)
from trustpulse.text.aspect_sample import fold_of
from trustpulse.text.cli import app
from trustpulse.text.config import AspectSpec, TextConfig
from trustpulse.text.default_model import DefaultSentiment
from trustpulse.text.service import Analyzer, prepare

runner = CliRunner()
_ARGS = ["learn-aspects", "--text-column", "review", "--label-column", "dims"]

DELIVERY = ["配送太慢了，等了很久", "配送很快，小哥辛苦", "快递配送两个小时才到", "配送员送错地址"]
PRODUCT = ["味道很好，分量足", "味道一般，有点咸", "面条味道不错", "汤的味道太淡了"]
NEITHER = ["还会再来", "一般般吧", "总体满意", "下次再说"]


def _labelled(tmp_path: Path) -> Path:
    rows = [(t, "delivery_logistics:-") for t in DELIVERY] * 3
    rows += [(t, "product_reliability") for t in PRODUCT] * 3
    rows += [(t, "") for t in NEITHER] * 3
    rows += [("配送很快，味道也好", "delivery_logistics:+;product_reliability:+")]
    path = tmp_path / "labelled.csv"
    pd.DataFrame(rows, columns=["review", "dims"]).to_csv(path, index=False)
    return path


def test_learnt_terms_load_as_a_text_config_lexicon(tmp_path: Path) -> None:
    out = tmp_path / "learnt.yaml"
    result = runner.invoke(
        app,
        [*_ARGS, "--input", str(_labelled(tmp_path)), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    config = TextConfig.model_validate(yaml.safe_load(out.read_text(encoding="utf-8")))
    delivery = config.aspects["delivery_learnt"]
    product = config.aspects["product_reliability_learnt"]
    assert delivery.dimension == "service_responsiveness"
    assert "配送" in delivery.terms
    assert "味道" in product.terms
    assert "味道" not in delivery.terms
    assert "一般般" not in delivery.terms + product.terms


def test_unknown_label_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame([("配送太慢", "speed")] * 5, columns=["review", "dims"]).to_csv(path, index=False)
    result = runner.invoke(
        app,
        [*_ARGS, "--input", str(path), "--out", str(tmp_path / "x.yaml")],
    )
    assert isinstance(result.exception, InvalidInputError)
    assert "'speed'" in result.exception.message


def test_words_said_mostly_elsewhere_fall_below_min_precision() -> None:
    texts = ["配送很快"] * 4 + ["配送员态度好"] * 2 + ["配送一般"] * 2 + ["下次再说"] * 4
    labels = [{"delivery_logistics"}] * 4 + [set()] * 8
    plain = learn_terms(texts, labels, min_count=2, min_z=0.0)
    strict = learn_terms(texts, labels, min_count=2, min_z=0.0, min_precision=0.8)
    assert "配送" in [t.term for t in plain["delivery_logistics"]]
    assert "配送" not in [t.term for t in strict["delivery_logistics"]]


def test_the_command_passes_min_precision_on(tmp_path: Path) -> None:
    # 配送 is in every delivery text but also in a third of the others: over-represented in
    # the label's texts (z well above 1.96), right only 60 % of the time
    rows = [("配送很快", "delivery_logistics")] * 30 + [("配送员态度好", "")] * 10
    rows += [("配送一般", "")] * 10 + [("下次再说", "")] * 30
    path = tmp_path / "mixed.csv"
    pd.DataFrame(rows, columns=["review", "dims"]).to_csv(path, index=False)
    terms = {}
    for precision in ("0", "0.8"):
        out = tmp_path / f"learnt{precision}.yaml"
        args = [*_ARGS, "--input", str(path), "--out", str(out), "--min-count", "2"]
        result = runner.invoke(app, [*args, "--min-precision", precision])
        assert result.exit_code == 0, result.output
        aspects = yaml.safe_load(out.read_text(encoding="utf-8")).get("aspects", {})
        terms[precision] = [t for spec in aspects.values() for t in spec["terms"]]
    assert "配送" in terms["0"]
    assert "配送" not in terms["0.8"]


def test_fold_of_a_key_never_changes() -> None:
    # sha256 of the key: the same folds on every machine, run and Python hash seed
    assert [fold_of(f"waimai_10k:{i}", 5) for i in range(6)] == [2, 1, 1, 3, 4, 2]


def test_entries_mostly_wrong_alone_are_pruned() -> None:
    lexicon = {
        "delivery": AspectSpec(dimension="service_responsiveness", terms=["配送", "小哥"]),
    }
    texts = ["配送很快", "配送太慢", "配送准时", "小哥你好", "小哥辛苦", "小哥态度好", "小哥配送快"]
    labels = [{"delivery_logistics"}] * 3 + [set()] * 2 + [{"delivery_logistics"}, set()]
    pruned = prune_terms(lexicon, [prepare(t) for t in texts], labels, min_precision=0.5)
    assert [(r.aspect, r.term, r.alone_right, r.alone_wrong) for r in pruned] == [
        ("delivery", "小哥", 1, 2)
    ]
    assert without(lexicon, pruned)["delivery"].terms == ["配送"]


def test_each_fold_is_tagged_with_terms_learnt_without_it(
    default_sentiment: DefaultSentiment,
) -> None:
    keys = [f"t{i}" for i in range(120)]
    in_fold_0 = [k for k in keys if fold_of(k, 2) == 0][:20]
    texts = [
        "wombat parcel" if k in in_fold_0 else ("quokka came late" if i % 2 else "lovely day")
        for i, k in enumerate(keys)
    ]
    labels = [set() if t == "lovely day" else {"delivery_logistics"} for t in texts]
    cv = cross_validate(Analyzer(default=default_sentiment), {}, texts, labels, keys, folds=2)
    fold_0 = [i for i, k in enumerate(keys) if fold_of(k, 2) == 0]
    learnt_on_fold_0 = learn_terms(
        [texts[i] for i in fold_0], [labels[i] for i in fold_0], min_precision=0.8
    )
    assert cv.learnt[1] == learnt_on_fold_0
    assert "wombat" not in [t.term for t in cv.learnt[0]["delivery_logistics"]]
    tagged = [bool(found) for found in cv.found]
    assert tagged == [t.startswith("quokka") for t in texts]

"""The text-level aspect classifier (`text/aspect_classifier.py`): it can tag a category no
lexicon term names, over the whole text, with the text's own sentiment."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_classifier import (
    AspectClassifier,
    load_classifier,
    text_features,
)
from trustpulse.text.aspect_model import Labelled, TrainSettings, train
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.cli import app
from trustpulse.text.config import AspectSpec, TextConfig, load_text_config
from trustpulse.text.language import comparable
from trustpulse.text.service import aspect_results, build_analyzer, prepare

LEXICON = {"product_quality": AspectSpec(dimension="product_reliability", terms=["味道"])}
# no lexicon term names the refund: only the classifier can find responsibility here
REFUSED = ["不给退款", "退款一直不到账", "申请退款被拒绝", "退款拖了一个月"]
TASTE = ["味道很好", "味道一般", "味道不错", "味道太咸"]
BOTH = ["味道差，不给退款", "味道太淡，退款被拒绝"]
TRAINING = (
    [(t, {"responsibility"}) for t in REFUSED] * 3
    + [(t, {"product_reliability"}) for t in TASTE] * 3
    + [(t, {"product_reliability", "responsibility"}) for t in BOTH] * 3
)


def _classifier(path: Path, *, union: bool = True) -> AspectClassifier:
    tagger = AspectTagger(LEXICON)
    feats = [text_features(comparable(t), tagger.lexicon_hits(comparable(t))) for t, _ in TRAINING]
    model = train([Labelled(feats, [labels for _, labels in TRAINING])], TrainSettings(min_df=1))
    AspectClassifier(model, union=union).save(path)
    return load_classifier(path)


def test_text_features_are_ngrams_words_and_the_lexicons_hits() -> None:
    text = comparable("退款慢 refund never came")
    hits = AspectTagger(LEXICON).lexicon_hits(text)
    feats = text_features(text, hits)
    assert {"g:退", "g:退款", "g:退款慢", "w:refund", "b:never_came"} <= feats
    assert not [f for f in feats if f.startswith("c:")]
    assert "c:product_reliability" in text_features(
        "味道好", AspectTagger(LEXICON).lexicon_hits("味道好")
    )


def test_classifier_adds_a_category_no_term_names_over_the_whole_text(tmp_path: Path) -> None:
    tagger = AspectTagger(LEXICON, classifier=_classifier(tmp_path / "c.json"))
    text = comparable("退款申请了一个月还不到账")
    found = tagger.mentions(text)
    assert [(m.aspect, m.dimension) for m in found] == [("responsibility_learnt", "responsibility")]
    assert (found[0].start, found[0].end, found[0].scope_start, found[0].scope_end) == (
        0,
        len(text),
        0,
        len(text),
    )


def test_union_keeps_the_lexicons_mentions(tmp_path: Path) -> None:
    tagger = AspectTagger(LEXICON, classifier=_classifier(tmp_path / "c.json"))
    found = tagger.mentions(comparable("退款被拒绝了，味道也差"))
    assert {m.aspect for m in found} >= {"product_quality", "responsibility_learnt"}


def test_an_added_category_takes_the_texts_own_sentiment(
    tmp_path: Path, settings: Settings, home_with_default_model: Path
) -> None:
    _classifier(tmp_path / "c.json")
    plain = load_text_config(settings)
    analyzer = build_analyzer(
        settings,
        TextConfig.model_validate(
            {
                **plain.model_dump(),
                "aspects": {k: v.model_dump() for k, v in LEXICON.items()},
                "aspect_classifier": str(tmp_path / "c.json"),
            }
        ),
    )
    text = prepare("退款拖了一个月还没到账，太失望了")
    [found] = aspect_results(analyzer, [text])
    [prediction] = analyzer.sentiment([text.redacted_text], [text.language])
    assert [a["aspect"] for a in found] == ["responsibility_learnt"]
    assert found[0]["sentiment_label"] == prediction.label
    assert found[0]["span"] == [0, len(text.redacted_text)]


def test_classifier_versions_the_tagger_and_the_analyzer(
    tmp_path: Path, settings: Settings, home_with_default_model: Path
) -> None:
    classifier = _classifier(tmp_path / "c.json")
    assert classifier.version.startswith("aspect-classifier-v1-")
    assert AspectTagger(LEXICON).version != AspectTagger(LEXICON, classifier=classifier).version
    plain = load_text_config(settings)
    with_classifier = TextConfig.model_validate(
        {**plain.model_dump(), "aspect_classifier": str(tmp_path / "c.json")}
    )
    analyzer = build_analyzer(settings, with_classifier)
    assert analyzer.aspects is not None
    assert analyzer.aspects.classifier is not None
    assert analyzer.version != build_analyzer(settings, plain).version


def test_a_file_that_is_no_classifier_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"recipe": "aspect-model-v1"}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not an aspect classifier file"):
        load_classifier(path)


def test_train_aspect_classifier_writes_a_classifier_the_pipeline_loads(
    tmp_path: Path, settings: Settings, home_with_default_model: Path
) -> None:
    # complaints about a refund in words no shipped lexicon term names, texts about nothing
    refused = ["钱一直没回来", "钱拖着不给回", "说好的钱没回来", "回款拖了一个月"]
    labelled = tmp_path / "labelled.csv"
    rows = [(t, "responsibility") for t in refused] * 4 + [("一般般吧", ""), ("还行", "")] * 4
    pd.DataFrame(rows, columns=["review", "dims"]).to_csv(labelled, index=False)
    out = tmp_path / "classifier.json"
    args = ["train-aspect-classifier", "--input", str(labelled), "--text-column", "review"]
    result = CliRunner().invoke(app, [*args, "--label-column", "dims", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "responsibility" in result.output
    assert "cross-validated" in result.output
    classifier = load_classifier(out)
    assert (classifier.union, classifier.lexicon_features) == (True, False)
    plain = load_text_config(settings)
    tagger = AspectTagger(plain.aspects, plain.aspect_ignore, plain.aspect_cues)
    text = comparable("我的钱到现在都没回来")
    assert "responsibility" not in {m.dimension for m in tagger.mentions(text)}
    learnt = AspectTagger(
        plain.aspects, plain.aspect_ignore, plain.aspect_cues, classifier=classifier
    )
    assert "responsibility" in {m.dimension for m in learnt.mentions(text)}
    configured = TextConfig.model_validate({**plain.model_dump(), "aspect_classifier": str(out)})
    assert build_analyzer(settings, configured).version != build_analyzer(settings, plain).version


def test_train_aspect_classifier_refuses_an_unknown_label(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    pd.DataFrame([("送得很快", "speed")], columns=["review", "dims"]).to_csv(labelled, index=False)
    args = ["train-aspect-classifier", "--input", str(labelled), "--text-column", "review"]
    result = CliRunner().invoke(
        app, [*args, "--label-column", "dims", "--out", str(tmp_path / "c.json")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInputError)

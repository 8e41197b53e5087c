"""The learnt check on the aspect lexicon (`text/aspect_model.py`, `text train-aspects`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError
from trustpulse.text.aspect_model import Labelled, TrainSettings, load_model, train
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.cli import app
from trustpulse.text.config import AspectSpec, TextConfig, load_text_config
from trustpulse.text.language import comparable
from trustpulse.text.service import build_analyzer

LEXICON = {
    "delivery": AspectSpec(dimension="service_responsiveness", terms=["送"]),
    "product_quality": AspectSpec(dimension="product_reliability", terms=["味道"]),
}
# 送 is the courier's in the first texts, a free side dish (送了小菜) in the second; the third
# are late deliveries whose refund was refused, so responsibility too
COURIER = ["送餐很快", "送得太慢了", "小哥送到门口", "送了两个小时", "送得很及时"]
GIFT = ["送了小菜，味道一般", "送了饮料，味道不错", "还送了小菜，味道好"]
REFUSED = ["送了三个小时，不给退款", "送得太慢，退款也不给"]
TRAINING = (
    [(t, {"delivery_logistics"}) for t in COURIER] * 4
    + [(t, {"product_reliability"}) for t in GIFT] * 4
    + [(t, {"delivery_logistics", "responsibility"}) for t in REFUSED] * 4
)


def _tagger(model_dir: Path | None = None) -> AspectTagger:
    tagger = AspectTagger(LEXICON)
    if model_dir is None:
        return tagger
    feats = [tagger.model_features(comparable(t)) for t, _ in TRAINING]
    model = train([Labelled(feats, [labels for _, labels in TRAINING])], TrainSettings(min_df=1))
    model.save(model_dir / "check.json")
    return AspectTagger(LEXICON, model=load_model(model_dir / "check.json"))


def _categories(tagger: AspectTagger, text: str) -> set[tuple[str, str]]:
    return {(m.aspect, m.dimension) for m in tagger.mentions(comparable(text))}


def test_check_drops_a_term_said_about_something_else(tmp_path: Path) -> None:
    text = "送了小菜，味道很好"
    assert ("delivery", "service_responsiveness") in _categories(_tagger(), text)
    assert _categories(_tagger(tmp_path), text) == {("product_quality", "product_reliability")}


def test_check_keeps_the_lexicons_mentions_its_labels_confirm(tmp_path: Path) -> None:
    assert _categories(_tagger(tmp_path), "送得很慢") == {("delivery", "service_responsiveness")}


def test_check_adds_a_category_at_the_hit_that_speaks_for_it(tmp_path: Path) -> None:
    text = "送了三个小时，退款也不给"
    found = _tagger(tmp_path).mentions(comparable(text))
    added = [m for m in found if m.dimension == "responsibility"]
    assert [m.aspect for m in added] == ["responsibility_learnt"]
    assert text[added[0].start : added[0].end] == "送"


def test_check_versions_the_tagger(tmp_path: Path) -> None:
    plain, checked = _tagger(), _tagger(tmp_path)
    assert plain.version != checked.version
    assert checked.model is not None
    assert checked.model.version.startswith("aspect-model-v1-")


def test_a_file_that_is_no_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"recipe": "something else"}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not an aspect model file"):
        load_model(path)


def test_train_aspects_writes_a_check_the_pipeline_loads(
    tmp_path: Path, settings: Settings, home_with_default_model: Path
) -> None:
    labelled = tmp_path / "labelled.csv"
    rows = [(t, ";".join(sorted(labels))) for t, labels in TRAINING] + [("一般般吧", "")] * 4
    pd.DataFrame(rows, columns=["review", "dims"]).to_csv(labelled, index=False)
    out = tmp_path / "check.json"
    args = ["train-aspects", "--input", str(labelled), "--text-column", "review"]
    result = CliRunner().invoke(app, [*args, "--label-column", "dims", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "cross-validated" in result.output
    plain = load_text_config(settings)
    checked = TextConfig.model_validate({**plain.model_dump(), "aspect_model": str(out)})
    analyzer = build_analyzer(settings, checked)
    assert analyzer.aspects is not None
    assert analyzer.aspects.model is not None
    # a new check re-scores every text
    assert analyzer.version != build_analyzer(settings, plain).version


def test_train_aspects_refuses_an_unknown_label(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    pd.DataFrame([("送得很快", "speed")], columns=["review", "dims"]).to_csv(labelled, index=False)
    args = ["train-aspects", "--input", str(labelled), "--text-column", "review"]
    result = CliRunner().invoke(
        app, [*args, "--label-column", "dims", "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInputError)

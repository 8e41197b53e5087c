"""`trustpulse text learn-aspects`: lexicon terms proposed from labelled texts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from trustpulse.errors import InvalidInputError
from trustpulse.text.cli import app
from trustpulse.text.config import TextConfig

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

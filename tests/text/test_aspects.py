from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import Settings, get_settings
from trustpulse.db import session_scope
from trustpulse.demo.generate import generate
from trustpulse.demo.model import DemoConfig
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text.aspects import AspectTagger, _form_key, _PrefixTreeMatcher, inflections
from trustpulse.text.cli import app
from trustpulse.text.config import TRUST_DIMENSIONS, AspectSpec, load_text_config
from trustpulse.text.default_model import DefaultSentiment
from trustpulse.text.language import comparable
from trustpulse.text.models import FeedbackAnalysis
from trustpulse.text.service import Analyzer, aspect_results, build_analyzer, prepare, run_analysis
from trustpulse.text.terms import Term, TermMatcher

LEXICON = {
    "delivery": AspectSpec(dimension="service_responsiveness", terms=["送餐", "配送", "delivery"]),
    "product_quality": AspectSpec(dimension="product_reliability", terms=["味道", "food"]),
    "price_info": AspectSpec(dimension="information_transparency", terms=["配送费"]),
}


def _aspects(text: str) -> list[tuple[str, str]]:
    return [
        (m.aspect, text[m.scope_start : m.scope_end])
        for m in AspectTagger(LEXICON).mentions(comparable(text))
    ]


def test_each_aspect_gets_its_own_clause() -> None:
    assert _aspects("送餐太慢了，但是味道很好") == [
        ("delivery", "送餐太慢了"),
        ("product_quality", "味道很好"),
    ]
    assert _aspects("Delivery slow, food great.") == [
        ("delivery", "Delivery slow"),
        ("product_quality", "food great"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Delivery slow, food great.", {("delivery", "negative"), ("product_quality", "positive")}),
        (
            "delivery was slow but the food was great",
            {("delivery", "negative"), ("product_quality", "positive")},
        ),
        ("价格也贵", {("value", "negative")}),  # a price level, not price transparency
    ],
)
def test_shipped_lexicon_gives_each_aspect_its_clauses_sentiment(
    tmp_path: Path, default_sentiment: DefaultSentiment, text: str, expected: set[tuple[str, str]]
) -> None:
    # the issue's own example: "delivery slow, food great" -> delivery -, product +
    config = load_text_config(Settings(home=tmp_path))
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    analyzer = Analyzer(default=default_sentiment, aspects=tagger)
    found = aspect_results(analyzer, [prepare(text)])[0]
    assert {(a["aspect"], a["sentiment_label"]) for a in found} == expected


@pytest.mark.parametrize(
    ("clause", "polarity"),
    [
        ("快递太慢了", "negative"),  # 快递 holds 快 but is no cue
        ("价格不贵", "positive"),  # the longest cue wins
        ("delivery was not slow", "positive"),
        ("slow but cheap", None),  # both polarities: the cues decide nothing
        ("味道很好", None),
        ("没有延误", "positive"),  # a negator before a cue turns it round
        ("it wasn't late", "positive"),
        ("never slow", "positive"),
    ],
)
def test_cues_give_a_clause_one_polarity_or_none(
    tmp_path: Path, clause: str, polarity: str | None
) -> None:
    config = load_text_config(Settings(home=tmp_path))
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    assert tagger.cue(comparable(clause)) == polarity


def test_inflected_terms_match_english_endings() -> None:
    tagger = AspectTagger(
        {"flight": AspectSpec(dimension="product_reliability", terms=["cancel~"])}
    )
    for text in ["they cancelled it", "it cancels", "cancel it", "canceling now"]:
        assert [m.term for m in tagger.mentions(text)] == ["cancel~"], text
    assert tagger.mentions("a cancellation") == []
    assert inflections("reply~") == sorted(
        ["reply", "replys", "replyes", "replied", "replies", "replyed", "replying"]
    )
    assert inflections("re:x~") == ["re:x~"]


def test_a_term_under_two_aspects_counts_for_both() -> None:
    tagger = AspectTagger(
        {
            "value": AspectSpec(dimension="price_value", terms=["划算"]),
            "price_info": AspectSpec(dimension="information_transparency", terms=["划算", "价格"]),
        }
    )
    assert {m.aspect for m in tagger.mentions("很划算")} == {"value", "price_info"}
    assert tagger.entries("价格很划算") == {
        ("value", "划算"),
        ("price_info", "划算"),
        ("price_info", "价格"),
    }


def test_the_couriers_manner_is_the_deliverys(tmp_path: Path) -> None:
    config = load_text_config(Settings(home=tmp_path))
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    assert {m.aspect for m in tagger.mentions("外卖小哥态度很好")} == {"delivery"}
    assert {m.aspect for m in tagger.mentions("客服态度很好")} == {"customer_service"}


def test_prefix_tree_finds_what_the_flat_alternation_finds(tmp_path: Path) -> None:
    config = load_text_config(Settings(home=tmp_path))
    groups = {
        _form_key(form): name
        for name, spec in config.aspects.items()
        for term in spec.terms
        for form in inflections(term)
    }
    flat = TermMatcher([Term(form, group, form) for form, group in groups.items()])
    tree = _PrefixTreeMatcher(groups)
    texts = [
        "安装费太贵，安装师傅很专业，送货上门",
        "after-sales never replied; the box arrived crushed, hidden  fees",
        "cancelled flightled again, flight delayed 3 hours, dressing room",
        "等了一个多小时才送到，饭菜太咸了，价格实惠，$20 for this",
        "topless toppings: a top, the tops, on top, protop",
    ]
    for text in texts:
        found = [(h.group, h.start, h.end) for h in tree.find(comparable(text))]
        assert found == [(h.group, h.start, h.end) for h in flat.find(comparable(text))], text


def test_scope_runs_on_until_the_next_aspect_or_sentence_end() -> None:
    assert _aspects("说好配送两天，结果拖了一周。味道还行") == [
        ("delivery", "说好配送两天，结果拖了一周"),
        ("product_quality", "味道还行"),
    ]


def test_longest_term_wins() -> None:
    assert [a for a, _ in _aspects("配送费太贵")] == ["price_info"]


def test_shipped_lexicon_maps_every_aspect_to_a_trust_dimension(settings: Settings) -> None:
    config = load_text_config(settings)
    assert {spec.dimension for spec in config.aspects.values()} == set(TRUST_DIMENSIONS)


def _scores(gold: list[set[str]], found: list[set[str]]) -> dict[str, tuple[float, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, f in zip(gold, found, strict=True):
        tp.update(g & f)
        fp.update(f - g)
        fn.update(g - f)
    return {
        key: (tp[key] / (tp[key] + fp[key]), tp[key] / (tp[key] + fn[key]))
        for key in set(tp) | set(fn)
    }


def test_dimensions_match_the_demo_truth(settings: Settings) -> None:
    config = load_text_config(settings)
    tagger = AspectTagger(config.aspects, config.aspect_ignore)
    data = generate(DemoConfig(seed=5, scale=0.02))
    texts = {r["external_id"]: r["text"] for r in data.tables["feedback"] if r["text"]}
    gold = [{a["dimension"] for a in t["aspects"]} for t in data.text_truth]
    found = [
        {m.dimension for m in tagger.mentions(comparable(texts[t["external_id"]]))}
        for t in data.text_truth
    ]
    for dimension, (precision, recall) in _scores(gold, found).items():
        assert precision >= 0.9, dimension
        assert recall >= 0.9, dimension


def test_pipeline_stores_aspects_with_clause_sentiment_and_matrix_command(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(runtime.session_factory) as session:
        brand = make_brand(session, code="acme")
        row = Feedback(
            brand_id=brand.id,
            kind=FeedbackKind.review,
            channel="app",
            occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
            text="物流太慢了，等了一个多星期，但是质量很好，做工扎实",
            source="test",
            external_id="a1",
            content_hash="0" * 64,
        )
        session.add(row)
        session.flush()
        feedback_id = row.id
    analyzer = build_analyzer(runtime.settings, load_text_config(runtime.settings))
    run_analysis(runtime.session_factory, analyzer)
    with session_scope(runtime.session_factory) as session:
        stored = session.scalars(select(FeedbackAnalysis)).one()
    assert stored.feedback_id == feedback_id
    found = {(a["aspect"], a["dimension"], a["sentiment_label"]) for a in stored.aspects}
    assert found == {
        ("delivery", "service_responsiveness", "negative"),
        ("product_quality", "product_reliability", "positive"),
    }
    delivery = next(a for a in stored.aspects if a["aspect"] == "delivery")
    assert stored.redacted_text[slice(*delivery["span"])] == "物流"
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["aspects", "--brand", "acme", "--json"])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    rows = {r["aspect"]: r for r in json.loads(result.stdout)["aspects"]}
    assert rows["delivery"]["counts"] == {"negative": 1}
    assert rows["delivery"]["negative_share"] == 1.0
    assert rows["product_quality"]["negative_share"] == 0.0

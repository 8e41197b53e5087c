from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_brand
from trustpulse.config import Settings, get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text.cli import app
from trustpulse.text.config import load_text_config
from trustpulse.text.language import comparable
from trustpulse.text.models import WatchHitRow
from trustpulse.text.service import Analyzer, build_analyzer, run_analysis
from trustpulse.text.trends import period_key, watch_counts
from trustpulse.text.watch import WatchHit, WatchMatcher

LISTS = {
    "consumer_rights": {"315": ["三一五"], "scam": ["scammed", "rip-off"]},
    "false_advertising": {"虚假宣传": ["夸大宣传"]},
    "refund": {"退款": [], "refund": ["refunds"]},
}


def _hits(text: str) -> list[WatchHit]:
    return WatchMatcher(LISTS).hits(comparable(text))


def test_chinese_terms_match_whole_words_only() -> None:
    assert _hits("315晚会曝光了这家") == [WatchHit("consumer_rights", "315")]
    assert _hits("已经打了12315") == []


def test_synonyms_count_as_their_canonical_term() -> None:
    assert _hits("纯属夸大宣传，要求退款") == [
        WatchHit("false_advertising", "虚假宣传"),
        WatchHit("refund", "退款"),
    ]


def test_english_terms_match_words_case_insensitively() -> None:
    assert _hits("Total RIP-OFF, I was scammed. No refunds!") == [
        WatchHit("consumer_rights", "scam"),
        WatchHit("refund", "refund"),
    ]
    assert _hits("the refundable deposit") == []


def test_full_width_and_traditional_text_matches() -> None:
    assert _hits("３１５晚會曝光，純屬虛假宣傳") == [
        WatchHit("consumer_rights", "315"),
        WatchHit("false_advertising", "虚假宣传"),
    ]


def test_shipped_lists_are_valid(settings: Settings) -> None:
    lists = load_text_config(settings).watchlists
    assert {"recall", "refund", "false_advertising", "safety_incident"} <= set(lists)
    assert WatchMatcher(lists).hits(comparable("热水器爆炸了，厂家必须召回")) == [
        WatchHit("safety_incident", "爆炸"),
        WatchHit("recall", "召回"),
    ]


def test_period_key_uses_the_brand_time_zone() -> None:
    late = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 Nov in Shanghai
    assert period_key(late, "Asia/Shanghai", "month") == "2026-11"
    assert period_key(late, "UTC", "month") == "2026-10"
    assert period_key(late, "Asia/Shanghai", "week") == "2026-W44"
    assert period_key(late, "Asia/Shanghai", "day") == "2026-11-01"


TEXTS = [
    (datetime(2026, 10, 31, 17, 30, tzinfo=UTC), "热水器漏水，厂家必须召回！已经向315投诉"),
    (datetime(2026, 10, 5, tzinfo=UTC), "申请退款一周了还没到账"),
    (datetime(2026, 10, 6, tzinfo=UTC), "They should recall it. I want a refund."),
    (datetime(2026, 10, 7, tzinfo=UTC), "挺好用的"),
]


@pytest.fixture
def full_analyzer(runtime: Runtime, home_with_default_model: Path) -> Analyzer:
    return build_analyzer(runtime.settings, load_text_config(runtime.settings))


def _load(runtime: Runtime) -> list[int]:
    with session_scope(runtime.session_factory) as session:
        brand = make_brand(session, code="acme")
        rows = [
            Feedback(
                brand_id=brand.id,
                kind=FeedbackKind.social,
                channel="weibo",
                occurred_at=at,
                text=text,
                source="test",
                external_id=f"w{i}",
                content_hash=f"{i:064d}",
            )
            for i, (at, text) in enumerate(TEXTS)
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_pipeline_stores_hits_and_counts_them_per_month(
    runtime: Runtime, full_analyzer: Analyzer
) -> None:
    ids = _load(runtime)
    run_analysis(runtime.session_factory, full_analyzer)
    with session_scope(runtime.session_factory) as session:
        stored = {
            (r.feedback_id, r.watchlist, r.term) for r in session.scalars(select(WatchHitRow))
        }
        counts = watch_counts(session, by="month")
    assert stored == {
        (ids[0], "safety_incident", "漏水"),
        (ids[0], "recall", "召回"),
        (ids[0], "consumer_rights", "315"),
        (ids[1], "refund", "退款"),
        (ids[2], "recall", "recall"),
        (ids[2], "refund", "refund"),
    }
    by_key = {(c["period"], c["term"]): c["count"] for c in counts}
    assert by_key[("2026-11", "召回")] == 1  # 17:30 UTC on 31 Oct is November in Shanghai
    assert by_key[("2026-10", "退款")] == 1


def test_changed_text_replaces_its_hits(runtime: Runtime, full_analyzer: Analyzer) -> None:
    ids = _load(runtime)
    run_analysis(runtime.session_factory, full_analyzer)
    with session_scope(runtime.session_factory) as session:
        row = session.get_one(Feedback, ids[1])
        row.text = "已经退货了"
        row.updated_at = datetime.now(UTC)
    run_analysis(runtime.session_factory, full_analyzer)
    with session_scope(runtime.session_factory) as session:
        terms = set(
            session.scalars(select(WatchHitRow.term).where(WatchHitRow.feedback_id == ids[1]))
        )
    assert terms == set()


def test_watch_command_prints_counts_as_json(
    runtime: Runtime, full_analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(runtime)
    run_analysis(runtime.session_factory, full_analyzer)
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["watch", "--brand", "acme", "--by", "month", "--json"])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"period": "2026-10", "watchlist": "refund", "term": "refund", "count": 1} in payload[
        "counts"
    ]

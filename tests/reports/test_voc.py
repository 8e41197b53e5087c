"""VoC read side on both databases: aspects unnested in SQL, search, months in the brand zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import make_brand, make_customer
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.reports.voc import (
    VocFilter,
    aspect_sentiment,
    list_verbatims,
    sentiment_by_month,
)
from trustpulse.text.models import FeedbackAnalysis


def _analysed(
    session: Session,
    brand_id: int,
    n: int,
    *,
    text: str,
    label: str,
    at: datetime,
    aspects: list[dict[str, Any]] | None = None,
    customer_id: int | None = None,
) -> None:
    # the text service writes these rows in batches; a handful is written directly here
    feedback = Feedback(
        brand_id=brand_id,
        customer_id=customer_id,
        kind=FeedbackKind.review,
        channel="jd",
        occurred_at=at,
        text=f"raw {text} 13912345678",
        source="t",
        external_id=str(n),
        content_hash="x",
        raw={},
    )
    session.add(feedback)
    session.flush()
    session.add(
        FeedbackAnalysis(
            feedback_id=feedback.id,
            language="zh",
            sentiment_label=label,
            sentiment_score=0.5 if label == "positive" else -0.5,
            redacted_text=f"{text} [PHONE]",
            keywords=[],
            aspects=aspects or [],
            pii_types=["phone"],
            model_version="t",
            text_hash="h",
        )
    )
    session.flush()


def test_aspects_by_sentiment_are_counted_per_mention(session: Session) -> None:
    brand = make_brand(session, code="acme")
    at = datetime(2026, 3, 5, tzinfo=UTC)
    delivery_bad = {"aspect": "delivery", "sentiment_label": "negative"}
    price_good = {"aspect": "price", "sentiment_label": "positive"}
    _analysed(session, brand.id, 1, text="a", label="negative", at=at, aspects=[delivery_bad] * 2)
    _analysed(
        session, brand.id, 2, text="b", label="mixed", at=at, aspects=[delivery_bad, price_good]
    )
    _analysed(session, brand.id, 3, text="c", label="neutral", at=at)
    assert aspect_sentiment(session, VocFilter(brand="acme")) == {
        "delivery": {"positive": 0, "neutral": 0, "negative": 3},
        "price": {"positive": 1, "neutral": 0, "negative": 0},
    }


def test_verbatims_search_the_redacted_text_literally(session: Session) -> None:
    brand = make_brand(session, code="acme")
    at = datetime(2026, 3, 5, tzinfo=UTC)
    _analysed(session, brand.id, 1, text="退款 100% 没到", label="negative", at=at)
    _analysed(session, brand.id, 2, text="退款 100 元到了", label="positive", at=at)
    found, total = list_verbatims(session, VocFilter(brand="acme", search="100%"))
    assert total == 1
    assert found[0].text == "退款 100% 没到 [PHONE]"
    assert "13912345678" not in found[0].text
    _found, total = list_verbatims(
        session, VocFilter(brand="acme", search="退款", sentiment="positive")
    )
    assert total == 1


def test_segment_filter_joins_the_customer(session: Session) -> None:
    brand = make_brand(session, code="acme")
    customer = make_customer(session, brand="acme", external_id="C1")
    customer.segment = "family"
    at = datetime(2026, 3, 5, tzinfo=UTC)
    _analysed(session, brand.id, 1, text="x", label="positive", at=at, customer_id=customer.id)
    _analysed(session, brand.id, 2, text="y", label="positive", at=at)
    _found, total = list_verbatims(session, VocFilter(brand="acme", segment="family"))
    assert total == 1


def test_sentiment_months_are_cut_in_the_brand_zone(session: Session) -> None:
    brand = make_brand(session, code="acme")
    # 2026-01-31 17:00 UTC is 2026-02-01 01:00 in Shanghai
    _analysed(
        session, brand.id, 1, text="x", label="positive", at=datetime(2026, 1, 31, 17, tzinfo=UTC)
    )
    _analysed(
        session, brand.id, 2, text="y", label="negative", at=datetime(2026, 1, 15, tzinfo=UTC)
    )
    months = sentiment_by_month(session, VocFilter(brand="acme"))
    assert list(months) == ["2026-01", "2026-02"]
    assert months["2026-02"]["positive"] == 1
    assert months["2026-01"]["negative"] == 1
    assert months["2026-01"]["mean_score"] == -0.5

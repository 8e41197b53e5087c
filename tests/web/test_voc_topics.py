"""The VoC topics panel: topic shares and emerging topics with their evidence, per filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.metrics import cache
from trustpulse.text.models import FeedbackAnalysis

PRICE, DELIVERY = "价格/便宜/划算", "物流/太慢/快递"
ROW = re.compile(
    r'<tr><td class="text">([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>'
)
EMERGING = re.compile(
    r'<tr data-topic="([^"]+)"><td class="text">[^<]+</td>'
    r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>"
)


def _texts(
    session: Session, brand_id: int, month: int, topic: str, *, n: int, channel: str
) -> None:
    # the text service writes these rows in batches; the topic is what a fitted model assigned
    for k in range(n):
        feedback = Feedback(
            brand_id=brand_id,
            kind=FeedbackKind.review,
            channel=channel,
            occurred_at=datetime(2026, month, 10, 4, tzinfo=UTC),
            text="t",
            source="t",
            external_id=f"{month}-{topic}-{channel}-{k}",
            content_hash="x",
            raw={},
        )
        session.add(feedback)
        session.flush()
        session.add(
            FeedbackAnalysis(
                feedback_id=feedback.id,
                language="zh",
                sentiment_label="negative",
                sentiment_score=-0.5,
                redacted_text="t",
                keywords=[],
                aspects=[],
                pii_types=[],
                model_version="t",
                text_hash="h",
                topic=topic,
            )
        )
    session.flush()


@pytest.fixture
def topics(session: Session) -> None:
    """Deliveries jump in April (1 of 21 texts a month before, 12 of 32 in April, on the app)."""
    brand = make_brand(session, code="acme")
    for month in (1, 2, 3):
        _texts(session, brand.id, month, PRICE, n=20, channel="jd")
        _texts(session, brand.id, month, DELIVERY, n=1, channel="jd")
    _texts(session, brand.id, 4, PRICE, n=20, channel="jd")
    _texts(session, brand.id, 4, DELIVERY, n=12, channel="app")
    cache.clear()  # SQLite may reuse the ids of rolled-back rows: same watermark, other data


def _panel(client: TestClient, query: str) -> str:
    page = client.get(f"/voc?brand=acme&lang=en{query}")
    assert page.status_code == 200, page.text
    html = page.text
    return html[html.index('id="topics"') : html.index('id="verbatims"')]


@pytest.mark.usefixtures("topics")
def test_topic_shares_and_the_emerging_topic_show_their_evidence(client: TestClient) -> None:
    panel = _panel(client, "")
    assert ROW.findall(panel)[:2] == [
        (PRICE, "80", "84.2%", "62.5%"),  # 80 of 95 texts; 20 of April's 32
        (DELIVERY, "15", "15.8%", "37.5%"),
    ]
    # 12 of 32 in April against 3 of 63 in Jan-Mar: smoothed 13/34 over 4/65 is x6.2
    assert EMERGING.findall(panel) == [(DELIVERY, "12", "37.5%", "4.8%", "×6.2")]
    assert "Emerging in 2026-04" in panel
    assert "3 months before (2026-01, 2026-02, 2026-03)" in panel


@pytest.mark.usefixtures("topics")
def test_topics_follow_the_channel_and_period_filters(client: TestClient) -> None:
    on_jd = _panel(client, "&channel=jd")
    assert [row[:2] for row in ROW.findall(on_jd)] == [(PRICE, "80"), (DELIVERY, "3")]
    assert 'id="no-emerging"' in on_jd
    april = _panel(client, "&since=2026-04-01&until=2026-04-30")
    assert [row[:2] for row in ROW.findall(april)] == [(PRICE, "20"), (DELIVERY, "12")]
    assert EMERGING.findall(april) == []  # no month before April inside the filter


def test_without_topics_the_panel_says_how_to_fit_them(
    client: TestClient, session: Session
) -> None:
    make_brand(session, code="acme")
    cache.clear()
    panel = _panel(client, "")
    assert "trustpulse text topics --fit" in panel
    assert "<table" not in panel


@pytest.mark.usefixtures("topics")
def test_topics_panel_speaks_chinese(client: TestClient) -> None:
    html = client.get("/voc?brand=acme&lang=zh-CN").text
    panel = html[html.index('id="topics"') : html.index('id="verbatims"')]
    assert "2026-04 新兴话题" in panel
    assert "Emerging" not in panel

"""Dashboard pages over HTTP: locale, filters, errors, escaping, chart JSON, each page's data."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.factories import make_brand
from tests.web.conftest import EVIL_TEXT
from trustpulse.app import create_app
from trustpulse.complaints.models import Complaint
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.metrics import cache
from trustpulse.reports.complaints import HandlingStats, complaint_handling
from trustpulse.web import transparency

CHART_JSON = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def _charts(html: str) -> dict[str, dict[str, object]]:
    return {name: json.loads(body) for name, body in CHART_JSON.findall(html)}


def test_overview_speaks_chinese_by_default_and_english_on_request(
    client: TestClient, session: Session
) -> None:
    make_brand(session, code="acme")
    assert "总览" in client.get("/").text
    english = client.get("/?lang=en")
    assert "<h1>Overview" in english.text
    assert english.cookies.get("tp_lang") == "en"


def test_language_cookie_is_remembered_without_the_parameter(
    client: TestClient, session: Session
) -> None:
    make_brand(session, code="acme")
    client.cookies.set("tp_lang", "en")
    assert "Voice of the customer" in client.get("/voc").text
    client.cookies.clear()


def test_brand_name_with_markup_renders_inert(client: TestClient, session: Session) -> None:
    make_brand(session, code="evil").name = "<script>alert(1)</script>{{ 7*7 }}"
    session.flush()
    html = client.get("/?brand=evil").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html


def test_unknown_brand_renders_the_error_page_with_404(
    client: TestClient, session: Session
) -> None:
    make_brand(session, code="acme")
    page = client.get("/voc?brand=nobody&lang=en")
    assert page.status_code == 404
    assert "This view cannot be shown" in page.text
    assert "brand &#39;nobody&#39; not found" in page.text


def test_bad_filter_value_is_a_422_page(client: TestClient, session: Session) -> None:
    make_brand(session, code="acme")
    assert client.get("/?since=yesterday").status_code == 422
    assert client.get("/?since=2026-05-01&until=2026-04-01").status_code == 422
    assert client.get("/?month=2026-13").status_code == 422


def test_placeholder_pages_keep_their_navigation_slot(client: TestClient, session: Session) -> None:
    make_brand(session, code="acme")
    for slot in ("complaints", "improvements", "alerts"):
        assert client.get(f"/{slot}?lang=en").status_code == 200
    assert client.get("/nothing-here").status_code == 404


def test_static_files_are_served_locally_and_paths_cannot_escape(client: TestClient) -> None:
    script = client.get("/static/vendor/echarts.min.js")
    assert script.status_code == 200
    assert len(script.content) > 500_000
    assert client.get("/static/../pages.py").status_code == 404
    assert client.get("/static/%2e%2e/pages.py").status_code == 404


def test_health_and_version(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/api/version").json()["version"]
    assert client.get("/api/openapi.json").status_code == 200


def test_overview_shows_each_headline_against_its_target(demo_client: TestClient) -> None:
    html = demo_client.get("/?brand=aurora&lang=en").text
    for metric in ("trust_index", "nps", "csat", "ces"):
        assert f'data-metric="{metric}"' in html
    assert re.search(r'class="status (met|at_risk|missed)"', html)
    charts = _charts(html)
    assert set(charts) == {
        "chart-trust_index",
        "chart-nps",
        "chart-csat",
        "chart-ces",
        "chart-complaints",
    }
    nps = charts["chart-nps"]
    assert nps["kind"] == "band"
    assert nps["target"] == 30
    links = nps["links"]
    assert isinstance(links, list)
    link = urlsplit(links[0])
    assert link.path == "/breakdown"
    assert dict(parse_qsl(link.query)) == {
        "brand": "aurora",
        "lang": "en",
        "metric": "nps",
        "by": "channel",
        "since": "2025-05-01",
        "until": "2025-05-31",
    }


def test_overview_shows_sla_attainment_against_its_target(demo_client: TestClient) -> None:
    html = demo_client.get("/?brand=aurora&lang=en").text
    start = html.index('id="sla-attainment"')
    sla = html[start : html.index("</p>", start)]
    # the demo derives SLA clocks from its complaints' events: attainment is a share, not "—"
    found = re.search(r"SLA attainment (\d+\.\d)%</a>", sla)
    assert found is not None, sla
    low, high = (float(x) for x in re.findall(r"(\d+\.\d)%", sla)[1:3])
    assert low <= float(found.group(1)) <= high
    assert "target 90%" in sla
    status = re.search(r'class="status (met|at_risk|missed)"', sla)
    assert status is not None
    expected = "met" if low >= 90 else "missed" if high < 90 else "at_risk"
    assert status.group(1) == expected


def test_segment_filter_narrows_the_overview(demo_client: TestClient) -> None:
    everyone = _charts(demo_client.get("/?brand=aurora").text)["chart-nps"]
    family = _charts(demo_client.get("/?brand=aurora&segment=family").text)["chart-nps"]
    assert everyone["series"] != family["series"]


def test_breakdown_exports_the_same_rows_as_excel_and_csv(demo_client: TestClient) -> None:
    from io import BytesIO  # noqa: PLC0415

    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415

    page = demo_client.get("/breakdown?brand=aurora&metric=csat&by=channel&lang=en")
    assert page.status_code == 200
    rows_on_page = page.text.count('<tr><td class="text">')
    xlsx = demo_client.get("/breakdown?brand=aurora&metric=csat&by=channel&lang=en&export=xlsx")
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["Channel", "Responses", "CSAT"]
    assert sheet.max_row - 1 == rows_on_page
    csv = demo_client.get("/breakdown?brand=aurora&metric=csat&by=channel&lang=zh-CN&export=csv")
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff渠道,样本数")
    assert len(text.strip().splitlines()) - 1 == rows_on_page


def test_verbatims_show_redacted_text_escaped(demo_client: TestClient) -> None:
    html = demo_client.get("/voc?brand=aurora&q=markup-probe&lang=en").text
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;{{ 7*7 }}" in html
    assert EVIL_TEXT.split("}}")[1].strip().split()[0] in html


def test_verbatims_never_show_the_raw_restricted_text(
    demo_client: TestClient, demo_settings: object
) -> None:
    html = demo_client.get("/voc?brand=aurora&lang=en&q=[PHONE").text
    # the demo writes phone numbers into texts; the page shows only their placeholders
    assert "[PHONE" in html
    assert not re.search(r"1[3-9]\d{9}", html)


def test_verbatim_paging_and_sentiment_filter(demo_client: TestClient) -> None:
    first = demo_client.get("/voc?brand=aurora&sentiment=negative&lang=en").text
    second = demo_client.get("/voc?brand=aurora&sentiment=negative&lang=en&page=2").text
    assert "Page 1 of" in first
    assert "Page 2 of" in second
    assert 'class="text sent-positive"' not in first


def test_drivers_page_draws_the_quadrant(demo_client: TestClient) -> None:
    html = demo_client.get("/drivers?brand=aurora&lang=en").text
    quadrant = _charts(html)["chart-quadrant"]
    points = quadrant["points"]
    assert isinstance(points, list)
    assert len(points) == 12
    assert "fix first" in html


def test_transparency_page_and_html_report(demo_client: TestClient) -> None:
    html = demo_client.get("/transparency?brand=aurora&quarter=2026Q3&lang=zh-CN").text
    assert "受理投诉数" in html
    report = demo_client.get("/reports/quarterly.html?brand=aurora&quarter=2026Q3&lang=zh-CN")
    assert report.status_code == 200
    assert "季度透明度报告" in report.text
    assert "<svg" in report.text
    assert demo_client.get("/reports/quarterly.doc?brand=aurora").status_code == 422


def test_get_requests_read_while_another_connection_writes(
    settings: Settings, committed_engine: Engine
) -> None:
    # SQLite: a page must not wait for the write lock a background job holds (WAL readers).
    app = create_app(settings, engine=committed_engine)
    with committed_engine.connect() as writer:
        writer.begin()
        writer.execute(insert(Brand).values(code="busy", name="Busy", timezone="UTC"))
        with TestClient(app) as client:
            assert client.get("/api/health").json() == {"status": "ok", "database": "ok"}
        writer.rollback()


def test_transparency_figures_come_from_the_cache_until_a_complaint_arrives(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    brand = make_brand(session, code="acme")

    def complaint(n: int, opened_at: datetime) -> None:
        session.add(
            Complaint(
                brand_id=brand.id,
                source="test",
                external_id=str(n),
                content_hash="x",
                channel="hotline",
                root_cause="courier_delay",
                raw={},
                opened_at=opened_at,
                first_response_at=opened_at + timedelta(hours=2),
            )
        )
        session.flush()

    complaint(1, datetime(2026, 7, 2, 2, tzinfo=UTC))
    calls: list[tuple[date | None, date | None]] = []

    def counted(session: Session, **kwargs: Any) -> HandlingStats:
        calls.append((kwargs.get("since"), kwargs.get("until")))
        return complaint_handling(session, **kwargs)

    monkeypatch.setattr(transparency, "complaint_handling", counted)
    cache.clear()
    url = "/transparency?brand=acme&quarter=2026Q3&lang=en"
    first = client.get(url)
    assert first.status_code == 200
    assert len(calls) == 2  # this quarter and the previous one
    assert client.get(url).text == first.text
    assert client.get("/transparency?brand=acme&quarter=2026Q3&lang=zh-CN").status_code == 200
    assert len(calls) == 2  # both languages share the cached figures

    complaint(2, datetime(2026, 8, 3, 2, tzinfo=UTC))
    second = client.get(url)
    assert len(calls) == 4
    assert second.text != first.text

"""The public transparency page: live preview until published, then the frozen snapshot and a
visible corrections history; the snapshot API beside it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.transparency.conftest import NOW, add_complaint, promise, publish_with_correction
from trustpulse.clock import ManualClock, use_clock
from trustpulse.complaints.models import Complaint
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.metrics import cache
from trustpulse.reports.complaints import PromiseStats, promise_counts
from trustpulse.transparency.service import publish_snapshot
from trustpulse.web import transparency as web_transparency

URL = "/transparency?brand=acme&quarter=2026Q3&lang=en"


def _received(html: str) -> str:
    found = re.search(r"<td class=\"text\">Complaints received</td><td>([^<]+)</td>", html)
    assert found is not None
    return found.group(1)


def test_unpublished_quarter_shows_live_figures_marked_as_preview(
    client: TestClient, acme: Brand
) -> None:
    cache.clear()
    html = client.get(URL).text
    assert 'id="preview-note"' in html
    assert 'id="published-note"' not in html
    assert _received(html) == "3"
    assert "How it is computed" in html


def test_published_figures_do_not_follow_live_data(
    client: TestClient, session: Session, settings: Settings, acme: Brand
) -> None:
    with use_clock(ManualClock(NOW)):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    add_complaint(session, acme, 9, datetime(2026, 9, 29, 2, tzinfo=UTC))
    cache.clear()
    html = client.get(URL).text
    assert 'id="published-note"' in html
    assert "Published on Oct 15, 2026" in html
    assert _received(html) == "3"  # the live count is 4 now
    assert 'id="corrections"' not in html  # one version: nothing corrected
    csv = client.get(URL + "&export=csv").content.decode("utf-8")
    assert "Complaints received,3," in csv


def test_a_correction_shows_the_new_figures_and_the_history_with_reason(
    client: TestClient, session: Session, settings: Settings, acme: Brand
) -> None:
    clock = ManualClock(NOW)
    with use_clock(clock):
        publish_with_correction(
            session, settings, acme, clock, reason="<b>late</b> import {{ 7*7 }}"
        )
    html = client.get(URL).text
    assert _received(html) == "4"
    assert "version 2" in html
    history = html[html.index('id="corrections"') :]
    assert "Oct 20, 2026" in history
    assert "Oct 15, 2026" in history
    assert "First publication" in history
    assert "&lt;b&gt;late&lt;/b&gt; import {{ 7*7 }}" in history
    assert "<b>late</b>" not in html
    assert "Complaints received: 3 → 4" in history
    chinese = client.get("/transparency?brand=acme&quarter=2026Q3&lang=zh-CN").text
    assert "更正记录" in chinese
    assert "受理投诉数" in chinese


def test_default_quarter_is_the_latest_published_one(
    client: TestClient, session: Session, settings: Settings, acme: Brand
) -> None:
    with use_clock(ManualClock(NOW)):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q2")
    html = client.get("/transparency?brand=acme&lang=en").text
    assert "<h1>Complaint handling · Acme · 2026Q2</h1>" in html
    assert 'id="published-note"' in html


def test_corrections_and_root_causes_export_as_shown(
    client: TestClient, session: Session, settings: Settings, acme: Brand
) -> None:
    clock = ManualClock(NOW)
    with use_clock(clock):
        publish_with_correction(session, settings, acme, clock, reason='=HYPERLINK("http://x")')
    html = client.get(URL).text
    assert 'data-table="corrections"' in html
    assert 'data-table="root-causes"' in html
    response = client.get(URL + "&table=corrections&export=xlsx")
    assert "corrections-2026Q3.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Version", "Published on", "Reason", "What changed"]
    version, published, reason, changed = rows[1]
    assert (version, reason) == (2, '\'=HYPERLINK("http://x")')
    assert published.startswith("Oct 20, 2026")
    assert "Complaints received: 3 → 4" in changed.split("; ")
    assert rows[2][0::2] == [1, "First publication"]
    csv = client.get(URL + "&table=corrections&export=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv
    zh = "/transparency?brand=acme&quarter=2026Q3&lang=zh-CN&table=root-causes&export=csv"
    causes = client.get(zh)
    lines = causes.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "根因,投诉,占比"
    assert lines[1] == "快递延误,4,1.0"


def _kept(html: str) -> str:
    found = re.search(r"<td class=\"text\">Commitments kept</td><td>([^<]+)</td>", html)
    assert found is not None
    return found.group(1)


def test_cached_preview_follows_a_changed_complaint(
    client: TestClient, session: Session, acme: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def counted(session: Session, **kwargs: Any) -> PromiseStats:
        calls.append(kwargs.get("since"))
        return promise_counts(session, **kwargs)

    monkeypatch.setattr(web_transparency, "promise_counts", counted)
    cache.clear()
    first = client.get(URL).text
    assert len(calls) == 2  # this quarter and the one before
    assert client.get(URL).text == first
    assert len(calls) == 2  # served from the cache
    assert _kept(first) == "—"
    complaint = session.scalars(select(Complaint).where(Complaint.external_id == "1")).one()
    promise(session, complaint, datetime(2026, 7, 3, 2, tzinfo=UTC), kept=True)
    second = client.get(URL).text
    assert len(calls) == 4  # the promise's event moved the watermark
    assert _kept(second) == "100.0%"

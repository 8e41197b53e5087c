"""The public transparency page: published snapshots only (latest version, every correction with
its date and reason), no dashboard chrome, 404 for anything not published; both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_brand
from tests.transparency.conftest import add_complaint, publish_with_correction
from trustpulse.clock import ManualClock
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.transparency.service import publish_snapshot

URL = "/public/acme/transparency"


def _publish_with_correction(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_with_correction(session, settings, acme, clock, reason="<b>late</b> import")
    add_complaint(session, acme, 10, datetime(2026, 9, 28, 2, tzinfo=UTC))  # live: 5 now


def test_public_page_shows_the_latest_version_and_every_correction(
    client: TestClient, session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    _publish_with_correction(session, settings, acme, clock)
    response = client.get(URL + "?quarter=2026Q3&lang=en")
    assert response.status_code == 200
    html = response.text
    assert "Complaints received</td><td>4</td>" in html  # version 2, not the live 5
    assert "Published on Oct 20, 2026 (version 2)" in html
    versions = html[html.index('id="corrections"') :]
    assert "Oct 15, 2026" in versions
    assert "First publication" in versions
    assert "&lt;b&gt;late&lt;/b&gt; import" in versions
    assert "Complaints received: 3 → 4" in versions
    assert "How it is computed" in html
    assert 'id="filters"' not in html  # no dashboard filters,
    assert "nav" not in html  # navigation,
    assert "/reports/quarterly" not in html  # or internal downloads
    chinese = client.get(URL + "?quarter=2026Q3&lang=zh-CN").text
    assert "受理投诉数" in chinese


def test_public_page_defaults_to_the_latest_published_quarter(
    client: TestClient, session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q2")
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    html = client.get(URL + "?lang=en").text
    assert "· Acme · 2026Q3</h1>" in html
    assert 'href="?quarter=2026Q2&amp;lang=en"' in html


def test_an_unpublished_quarter_is_not_shown(
    client: TestClient, session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q2")
    response = client.get(URL + "?quarter=2026Q3&lang=en")
    assert response.status_code == 404
    assert "Complaints received" not in response.text  # no live preview
    assert "2026Q2" not in response.text
    assert "No published figures here." in response.text
    internal = client.get("/transparency?brand=acme&quarter=2026Q3&lang=en").text
    assert 'id="preview-note"' in internal  # the dashboard keeps its preview


def test_a_brand_with_nothing_published_or_unknown_is_404(
    client: TestClient, session: Session, acme: Brand
) -> None:
    make_brand(session, code="other")
    for url in (URL, "/public/other/transparency", "/public/nobody/transparency"):
        response = client.get(url + "?lang=en")
        assert response.status_code == 404, url
        assert "nobody" not in response.text  # the internal error message is not shown
        assert "Acme" not in response.text  # nor the brand list


def test_a_malformed_quarter_is_refused(client: TestClient, acme: Brand) -> None:
    assert client.get(URL + "?quarter=2026-09").status_code == 422

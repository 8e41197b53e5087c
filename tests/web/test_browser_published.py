"""Improvements and a corrected transparency snapshot in real headless Chromium.

Runs its own live server on a copy of the demo database (it publishes snapshots). Screenshots:
test-artifacts/screenshots/improvements.png, transparency-corrected.png, drivers-roi.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, copy_of_demo, save_screenshot, serve
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.runtime import build_runtime
from trustpulse.transparency.service import publish_snapshot

pytestmark = pytest.mark.browser
REASON = "<script>window.__pwned = 1</script> two complaints were filed under nimbus"


def _shot(page: Page, name: str) -> None:
    save_screenshot(page, f"{name}")


@pytest.fixture(scope="module")
def published(
    demo_settings: Settings, chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A copy of the demo with aurora's 2026Q3 published on Oct 9 and corrected on Oct 16."""
    home = tmp_path_factory.mktemp("published")
    settings = copy_of_demo(demo_settings, home)
    runtime = build_runtime(settings)
    clock = ManualClock(datetime(2026, 10, 9, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    with use_clock(clock), session_scope(runtime.session_factory) as session:
        publish_snapshot(session, settings=settings, brand="aurora", quarter="2026Q3")
        clock.advance(timedelta(days=7))
        publish_snapshot(
            session,
            settings=settings,
            brand="aurora",
            quarter="2026Q3",
            correct=True,
            reason=REASON,
        )
    runtime.engine.dispose()
    with serve(settings) as server:
        yield server


def test_improvements_page_lists_actions_and_a_verdict(page: Page, published: LiveServer) -> None:
    page.goto(f"{published.url}/?brand=aurora&lang=en")
    page.click("nav.main >> text=Improvements")
    expect(page.locator("h1")).to_contain_text("Improvements")
    rows = page.locator("#actions-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#actions-table td.verdict").filter(has_text="Before:")).to_have_count(1)
    with page.expect_download() as info:
        page.click("a.export-csv")
    assert info.value.suggested_filename == "improvements.csv"
    _shot(page, "improvements")


def test_corrected_snapshot_shows_history_and_reason_inert(
    page: Page, published: LiveServer
) -> None:
    page.goto(f"{published.url}/transparency?brand=aurora&lang=zh-CN")
    expect(page.locator("#published-note")).to_contain_text("第 2 版")
    history = page.locator("#corrections tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("two complaints were filed under nimbus")
    expect(history.first).to_contain_text("<script>")
    expect(history.last).to_contain_text("首次发布")
    assert page.evaluate("window.__pwned === undefined")
    _shot(page, "transparency-corrected")
    page.click("#lang-switch")
    expect(page.locator("#published-note")).to_contain_text("version 2")


def test_roi_calculator_keeps_the_gain_in_the_url(page: Page, published: LiveServer) -> None:
    page.goto(f"{published.url}/drivers?brand=aurora&lang=en")
    expect(page.locator("[data-chart=chart-repurchase]")).to_have_attribute("data-rendered", "true")
    page.fill("#roi-form input[name=gain]", "12")
    page.click("#roi-form button[type=submit]")
    assert "gain=12" in page.url
    expect(page.locator("#roi-form input[name=gain]")).to_have_value("12")
    _shot(page, "drivers-roi")

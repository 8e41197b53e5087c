"""The dashboard in real headless Chromium: login, language, filters, verbatims, markup, the PDF
report. The server runs with security on, so every test logs in through the form first.

Screenshots of every page go to test-artifacts/screenshots/ (CI keeps them as artifacts).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    DASHBOARD_PASSWORD,
    LiveServer,
    cjk_fonts,
    embedded_fonts,
    log_in,
    pdf_text,
    save_screenshot,
)

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    save_screenshot(page, f"{name}")


def _charts_rendered(page: Page) -> None:
    charts = page.locator("[data-chart]")
    for k in range(charts.count()):
        expect(charts.nth(k)).to_have_attribute("data-rendered", "true")
        expect(charts.nth(k).locator("svg").first).to_be_attached()


def test_login_refuses_a_wrong_password_then_lets_the_user_in_and_out(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/voc?brand=aurora&lang=en")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("nav.main a")).to_have_count(0)  # nothing of the dashboard shows
    _shot(page, "login-en")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#login-form input[name=password]", "wrong password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("登录失败：请检查密码后重试。")
    _shot(page, "login-zh-failed")
    page.fill("#login-form input[name=password]", DASHBOARD_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Voice of the customer")  # back where it was
    assert page.url == f"{live_server.url}/voc?brand=aurora&lang=en"
    cookie = next(c for c in page.context.cookies() if c["name"] == "tp_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    page.goto(f"{live_server.url}/complaints")
    expect(page.locator("#login-form")).to_be_visible()


def test_overview_switches_language_and_remembers_it(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "/")
    expect(page.locator("h1")).to_contain_text("总览")
    expect(page.locator("#headlines")).to_contain_text("信任指数")
    _charts_rendered(page)
    _shot(page, "overview-zh")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_contain_text("Overview")
    expect(page.locator("#headlines")).to_contain_text("Trust index")
    _charts_rendered(page)
    _shot(page, "overview-en")
    page.goto(f"{live_server.url}/voc")  # no ?lang=: the cookie keeps English
    expect(page.locator("h1")).to_contain_text("Voice of the customer")
    _charts_rendered(page)
    _shot(page, "voc-en")


def test_filter_by_brand_and_month_is_kept_in_the_url(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "/?lang=en")
    page.select_option("select[name=brand]", "nimbus")
    page.fill("input[name=month]", "2026-03")
    page.click("#filters button[type=submit]")
    expect(page.locator("h1")).to_contain_text("云栖")
    assert "brand=nimbus" in page.url
    assert "month=2026-03" in page.url
    expect(page.locator("input[name=since]")).to_have_value("2026-03-01")
    expect(page.locator("input[name=until]")).to_have_value("2026-03-31")
    # every link keeps the filters: the navigation carries them to the next page
    page.click("nav.main >> text=Drivers & segments")
    assert "brand=nimbus" in page.url
    assert "since=2026-03-01" in page.url
    _charts_rendered(page)
    _shot(page, "drivers")


def test_verbatims_search_and_markup_renders_inert(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "/voc?brand=aurora&lang=zh-CN")
    expect(page.locator("#verbatim-table tbody tr")).to_have_count(20)
    page.fill("input[name=q]", "markup-probe")
    page.click("#verbatim-search button[type=submit]")
    cell = page.locator("#verbatim-table td.verbatim")
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text("<script>window.__pwned = 1</script>{{ 7*7 }}")
    assert page.evaluate("window.__pwned === undefined")
    assert "49" not in cell.inner_text()
    _shot(page, "voc-search")
    page.goto(f"{live_server.url}/voc?brand=aurora&lang=zh-CN")
    _charts_rendered(page)
    _shot(page, "voc")


def test_breakdown_and_transparency_pages(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, "/?brand=aurora&lang=zh-CN")
    page.click("#headlines [data-metric=nps] a")
    expect(page.locator("h1")).to_contain_text("按渠道")
    _charts_rendered(page)
    _shot(page, "breakdown")
    page.click("nav.main >> text=透明度")
    expect(page.locator("#handling")).to_contain_text("受理投诉数")
    _shot(page, "transparency")
    page.click("nav.main >> text=投诉")
    expect(page.locator("h1")).to_contain_text("投诉")
    expect(page.locator("#queue")).to_be_visible()


def test_pdf_report_downloads_with_chinese_text(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    log_in(page, live_server, "/transparency?brand=aurora&lang=zh-CN&quarter=2026Q3")
    with page.expect_download() as info:
        page.click("#report-pdf")
    target = tmp_path / "report.pdf"
    info.value.save_as(target)
    text = pdf_text(target)
    assert "季度透明度报告" in text
    assert "信任指数" in text
    assert "投诉处理" in text
    assert cjk_fonts(target) != [], embedded_fonts(target)  # real glyphs, not boxes

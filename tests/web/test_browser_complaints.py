"""The complaint desk in real headless Chromium: queue, filter, acknowledge, resolve, markup.

Runs its own live server on a copy of the demo database (these tests write) with security on:
each test logs in through the form, then opens complaints through the JSON API with the same
session. Screenshots go to test-artifacts/screenshots/complaints-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    EVIL_TEXT,
    LiveServer,
    copy_of_demo,
    log_in,
    save_screenshot,
    serve,
    with_password,
)
from trustpulse.accounts import service as accounts
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import session_scope
from trustpulse.runtime import build_runtime

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Desk:
    server: LiveServer
    team_id: int


def _shot(page: Page, name: str) -> None:
    save_screenshot(page, f"complaints-{name}")


@pytest.fixture(scope="module")
def desk(
    demo_settings: Settings, chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """A writable copy of the demo company (SQLite online backup) served on its own port."""
    home = tmp_path_factory.mktemp("complaint-desk")
    settings = copy_of_demo(demo_settings, home)
    runtime = build_runtime(settings)
    with session_scope(runtime.session_factory) as session:
        brand = customers.get_brand(session, "aurora")
        team_id = accounts.list_teams(session, brand_id=brand.id)[0].id
    runtime.engine.dispose()
    with serve(with_password(settings)) as server:
        yield Desk(server, team_id)


def _open(page: Page, desk: Desk, **body: object) -> int:
    response = page.request.post(
        f"{desk.server.url}/api/complaints?brand=aurora", data={"team_id": desk.team_id, **body}
    )
    assert response.status == 201, response.text()
    complaint_id: int = response.json()["id"]
    return complaint_id


def test_agent_works_a_complaint_from_queue_to_resolved(page: Page, desk: Desk) -> None:
    log_in(page, desk.server, "/complaints?brand=aurora&lang=en")
    general = _open(page, desk, title="包装破损 general", severity="P3", channel="tmall")
    fault = _open(page, desk, title="系统无法下单 fault", severity="P1", channel="app")
    page.goto(f"{desk.server.url}/complaints?brand=aurora&lang=en")
    rows = page.locator("#queue tbody tr[data-complaint]")
    expect(rows.first).to_have_attribute("data-complaint", str(fault))  # P1: 15 min, first
    countdown = rows.first.locator(".countdown")
    first_text = countdown.inner_text()
    assert "left" in first_text
    expect(countdown).not_to_have_text(first_text, timeout=3000)  # ticks every second
    _shot(page, "queue")

    page.select_option("#queue-filters select[name=severity]", "P3")
    page.click("#queue-filters button[type=submit]")
    assert "severity=P3" in page.url
    assert "brand=aurora" in page.url
    expect(page.locator(f'#queue tr[data-complaint="{general}"]')).to_have_count(1)
    expect(page.locator(f'#queue tr[data-complaint="{fault}"]')).to_have_count(0)

    page.select_option("#queue-filters select[name=severity]", "P1")
    page.click("#queue-filters button[type=submit]")
    page.click(f'#queue tr[data-complaint="{fault}"] td.title a')
    expect(page.locator("h1")).to_contain_text(f"#{fault}")
    first_response = page.locator('#clocks tr[data-target="first_response"]')
    expect(first_response).to_have_attribute("data-state", "running")
    expect(first_response.locator(".countdown")).to_contain_text("left")
    _shot(page, "detail-new")

    page.click("#form-acknowledge button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Saved.")
    expect(page.locator("#state")).to_contain_text("acknowledged")
    expect(first_response).to_have_attribute("data-state", "met")

    page.select_option("#form-resolve select[name=root_cause]", "system.outage")
    page.select_option("#form-resolve select[name=responsibility]", "ours")
    page.fill("#form-resolve textarea[name=summary]", "Order service restarted; fix deployed.")
    page.click("#form-resolve button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Saved.")
    expect(page.locator("#state")).to_contain_text("resolved")
    expect(page.locator('#clocks tr[data-target="resolution"]')).to_have_attribute(
        "data-state", "met"
    )
    expect(page.locator("#clocks [data-due]")).to_have_count(0)  # every clock stopped
    expect(page.locator("#clocks")).not_to_contain_text("left")
    # the root-cause path, named part by part
    expect(page.locator("#resolution")).to_contain_text("system / outage")
    expect(page.locator("#timeline li").first).to_have_attribute("data-kind", "sla_fulfilled")
    _shot(page, "detail-resolved")

    page.click("#back-to-queue")
    expect(page.locator(f'#queue tr[data-complaint="{fault}"]')).to_have_count(0)  # not open


def test_customer_markup_renders_inert_on_the_detail_page(page: Page, desk: Desk) -> None:
    log_in(page, desk.server, "/complaints?brand=aurora&lang=zh-CN")
    evil = _open(page, desk, title="<img src=x onerror=alert(1)>", description=EVIL_TEXT)
    page.goto(f"{desk.server.url}/complaints/{evil}?brand=aurora&lang=zh-CN")
    text = page.locator("#customer-text")
    expect(text).to_contain_text("<script>window.__pwned = 1</script>{{ 7*7 }}")
    assert "49" not in text.inner_text()
    assert page.evaluate("window.__pwned === undefined")
    expect(page.locator("h1")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(page.locator("main img")).to_have_count(0)
    _shot(page, "detail-markup-zh")

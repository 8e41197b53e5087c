"""zh-CN pages name things: no raw snake_case code reaches the visible text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from trustpulse.web.i18n import Formatter
from trustpulse.web.labels import code_label

CODE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
# what must stay as typed: command names shown to run, file names
ALLOWED: frozenset[str] = frozenset()


class _Visible(HTMLParser):
    """Text a reader sees: no script, style or attribute values (option labels included)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002 -- HTMLParser signature
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_codes(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"`[^`]*`", " ", text)  # commands to type stay as typed
    return set(CODE.findall(text)) - ALLOWED


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/complaints?state=all",
        "/voc",
        "/drivers",
        "/drivers?target=csat",
        "/improvements",
        "/transparency?quarter=2026Q3",
        "/breakdown?metric=nps&by=segment",
    ],
)
def test_chinese_pages_show_names_not_codes(demo_client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    page = demo_client.get(f"{path}{sep}brand=aurora&lang=zh-CN")
    assert page.status_code == 200
    assert visible_codes(page.text) == set()


def test_chinese_complaint_pages_show_names_not_codes(demo_client: TestClient) -> None:
    queue = demo_client.get("/complaints?brand=aurora&lang=zh-CN&state=all").text
    for case in re.findall(r'<tr data-complaint="(\d+)">', queue)[:10]:
        page = demo_client.get(f"/complaints/{case}?brand=aurora&lang=zh-CN")
        assert visible_codes(page.text) == set(), case


def test_the_check_finds_a_code_in_text_but_not_in_attributes_or_scripts() -> None:
    html = '<p data-x="tp_speed">快递 courier_delay</p><script>var a_b = 1;</script>'
    assert visible_codes(html) == {"courier_delay"}


def test_names_come_from_the_catalogue_then_the_translations() -> None:
    zh, en = Formatter("zh-CN"), Formatter("en")
    names = {"delivery_speed": ("Delivery speed", "配送速度"), "jd": ("JD.com", "京东")}
    assert code_label(zh, "tp_delivery_speed", names) == "配送速度"
    assert code_label(en, "tp_delivery_speed", names) == "Delivery speed"
    assert code_label(zh, "jd", names) == "京东"
    assert code_label(zh, "courier_delay") == "快递延误"
    assert code_label(en, "courier_delay") == "courier delay"
    assert code_label(zh, "billing.double_charge") == "计费 / 重复扣款"
    assert code_label(zh, "AUR-KT-01") == "AUR-KT-01"  # unnamed codes (SKUs) stay as they are
    assert code_label(zh, None) == "—"


def test_the_drivers_chart_names_touchpoints(demo_client: TestClient) -> None:
    html = demo_client.get("/drivers?brand=aurora&lang=zh-CN").text
    chart = re.search(r'<script type="application/json" id="chart-quadrant">(.*?)</script>', html)
    assert chart is not None
    points = json.loads(chart.group(1))["points"]
    assert points
    assert not [p["name"] for p in points if CODE.search(p["name"]) or "_" in p["name"]]

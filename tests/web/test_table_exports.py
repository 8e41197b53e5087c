"""Every table of the VoC and drivers pages downloads as Excel and CSV (`&table=<id>`)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs

from trustpulse.app import create_app
from trustpulse.config import Settings


def _sheet(client: TestClient, url: str) -> list[list[Any]]:
    response = client.get(url + "&export=xlsx")
    assert response.status_code == 200, response.text
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _csv(client: TestClient, url: str) -> list[str]:
    response = client.get(url + "&export=csv")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    return response.content.decode("utf-8-sig").splitlines()


def test_voc_aspect_matrix_exports_the_counts_it_shows(demo_client: TestClient) -> None:
    url = "/voc?brand=aurora&lang=en&table=aspects"
    rows = _sheet(demo_client, url)
    assert rows[0] == ["Aspect", "positive", "neutral", "negative", "Net"]
    assert len(rows) > 2
    first = rows[1]
    positive, neutral, negative, net = first[1:]
    assert isinstance(positive, int)
    assert isinstance(neutral, int)
    assert isinstance(negative, int)
    assert net == pytest.approx((positive - negative) / (positive + neutral + negative))
    html = demo_client.get("/voc?brand=aurora&lang=en").text
    assert f'<td class="text">{first[0]}</td>' in html  # the same label as on the page
    response = demo_client.get(url + "&export=xlsx")
    assert "voc-aspects.xlsx" in response.headers["content-disposition"]


def test_voc_watch_list_exports_in_chinese(demo_client: TestClient) -> None:
    lines = _csv(demo_client, "/voc?brand=aurora&lang=zh-CN&table=watch")
    assert lines[0] == "关注清单,词语,提及数"
    assert len(lines) > 1


def test_voc_default_export_is_still_the_verbatims(demo_client: TestClient) -> None:
    lines = _csv(demo_client, "/voc?brand=aurora&lang=en&sentiment=negative")
    assert lines[0] == "Date,Channel,Language,Sentiment,Score,Text"


def test_unknown_table_is_refused(demo_client: TestClient) -> None:
    assert demo_client.get("/voc?brand=aurora&table=secrets&export=csv").status_code == 422
    assert demo_client.get("/drivers?brand=aurora&table=secrets&export=csv").status_code == 422


def test_each_table_has_its_download_links(demo_client: TestClient) -> None:
    voc = demo_client.get("/voc?brand=aurora&lang=en").text
    drivers = demo_client.get("/drivers?brand=aurora&lang=en").text
    for table in ("aspects", "watch"):
        assert f'data-table="{table}"' in voc
        assert f"table={table}&amp;export=csv" in voc or f"export=csv&amp;table={table}" in voc
    for table in ("segments", "repurchase"):
        assert f'data-table="{table}"' in drivers


def test_drivers_segments_export_size_trust_and_dimensions(demo_client: TestClient) -> None:
    rows = _sheet(demo_client, "/drivers?brand=aurora&lang=en&table=segments")
    header = rows[0]
    assert header[:5] == [
        "Segment",
        "Customers",
        "Trust index",
        "95 % interval low",
        "95 % interval high",
    ]
    assert len(header) > 5  # one column per trust dimension
    assert len(rows) > 2
    for row in rows[1:]:
        assert isinstance(row[1], int)
        assert row[3] is None or row[3] <= row[2] <= row[4]


def test_drivers_repurchase_bands_export(demo_client: TestClient) -> None:
    rows = _sheet(demo_client, "/drivers?brand=aurora&lang=en&table=repurchase")
    assert rows[0] == [
        "Trust score (0–100)",
        "Customers",
        "Repurchase rate",
        "95 % interval low",
        "95 % interval high",
    ]
    assert len(rows) > 1
    for label, n, rate, low, high in rows[1:]:
        assert "–" in str(label)
        assert isinstance(n, int)
        assert low <= rate <= high


def test_roi_scenario_exports_estimate_and_interval(
    demo_settings: Settings, tmp_path: Path
) -> None:
    brand_dir = tmp_path / "brands" / "aurora"
    brand_dir.mkdir(parents=True)
    (brand_dir / "roi.yaml").write_text("min_customers: 100\n")
    settings = demo_settings.model_copy(update={"config_dir": tmp_path})
    with TestClient(create_app(settings)) as client:
        rows = _sheet(client, "/drivers?brand=aurora&lang=en&gain=10&table=roi")
        response = client.get("/drivers?brand=aurora&lang=en&gain=10&table=roi&export=csv")
    assert rows[0] == ["Expected change", "Estimate", "95 % interval low", "95 % interval high"]
    assert rows[1][0] == "Repurchase rate (percentage points)"
    assert len(rows) == 6
    for _label, value, low, high in rows[1:]:
        assert low <= value <= high
    assert "roi-plus-10-points.csv" in response.headers["content-disposition"]

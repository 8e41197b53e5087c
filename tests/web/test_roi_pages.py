"""The drivers page's trust <-> repurchase curve and ROI calculator on the tiny demo company."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from trustpulse.app import create_app
from trustpulse.config import Settings

CHART_JSON = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def _chart(html: str, name: str) -> dict[str, object]:
    charts = {k: json.loads(v) for k, v in CHART_JSON.findall(html)}
    chart = charts[name]
    assert isinstance(chart, dict)
    return chart


def test_curve_shows_observed_bands_and_too_small_sample_says_so(
    demo_client: TestClient,
) -> None:
    html = demo_client.get("/drivers?brand=aurora&lang=en").text
    chart = _chart(html, "chart-repurchase")
    bands = chart["bands"]
    assert isinstance(bands, list)
    assert bands
    # the tiny demo has fewer than roi.yaml's 200 modelled customers: no curve, the reason shown
    assert chart["curve"] == []
    assert 'id="roi-no-model"' in html
    modelled = int(re.search(r"model: ([\d,]+) have", html).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert sum(b["n"] for b in bands) == modelled
    assert all(b["low"] <= b["rate"] <= b["high"] for b in bands)
    assert 'id="roi-prior"' in html
    assert "an assumption, not a finding" in html


def test_gain_is_kept_in_the_url_and_bad_values_are_refused(demo_client: TestClient) -> None:
    html = demo_client.get("/drivers?brand=aurora&lang=en&gain=7.5").text
    assert 'name="gain" min="0.5" max="50" step="0.5" value="7.5"' in html
    assert '<input type="hidden" name="gain" value="7.5">' in html  # the filter form keeps it
    assert demo_client.get("/drivers?brand=aurora&gain=lots").status_code == 422
    assert demo_client.get("/drivers?brand=aurora&gain=0").status_code == 422
    assert demo_client.get("/drivers?brand=aurora&gain=80").status_code == 422


def test_scenario_with_intervals_when_enough_customers(
    demo_settings: Settings, tmp_path: Path
) -> None:
    brand_dir = tmp_path / "brands" / "aurora"
    brand_dir.mkdir(parents=True)
    (brand_dir / "roi.yaml").write_text("min_customers: 100\n")
    settings = demo_settings.model_copy(update={"config_dir": tmp_path})
    with TestClient(create_app(settings)) as client:
        small = client.get("/drivers?brand=aurora&lang=en&gain=2").text
        large = client.get("/drivers?brand=aurora&lang=en&gain=20").text
    curve = _chart(small, "chart-repurchase")["curve"]
    assert isinstance(curve, list)
    assert len(curve) == 51
    assert curve[-1][1] > curve[0][1]  # trust and repurchase rise together in the demo
    assert 'id="roi-scenario"' in small

    def change(html: str) -> float:
        row = re.search(r"Repurchase rate \(percentage points\)</td><td>\+([\d.]+)</td>", html)
        assert row is not None
        return float(row.group(1))

    assert 0 < change(small) < change(large)
    assert "LTV per customer (now" in small

"""SQL slices equal the pandas reference on both databases (periods in each brand's zone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from tests.metrics import reference
from trustpulse.config import Settings
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.estimate import Estimate
from trustpulse.metrics.periods import period_bounds, period_label
from trustpulse.metrics.query import Slice, parse_by

BYS = [
    [],
    ["brand"],
    ["brand", "month"],
    ["week"],
    ["day", "channel"],
    ["quarter", "tier"],
    ["region", "segment"],
    ["product", "touchpoint"],
]
REFERENCES: dict[str, Callable[[pd.DataFrame, list[str]], dict[tuple[str | None, ...], Estimate]]]
REFERENCES = {"nps": reference.nps, "csat": reference.csat, "ces": reference.ces}


def _by_group(
    rows: list[dict[str, object]], by: list[str]
) -> dict[tuple[object, ...], dict[str, object]]:
    return {tuple(r["group"][d] for d in by): r for r in rows}  # type: ignore[index]


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("by", BYS, ids=lambda b: ",".join(b) or "all")
def test_sql_equals_pandas(
    session: Session, settings: Settings, surveys: pd.DataFrame, metric: str, by: list[str]
) -> None:
    rows = _by_group(compute_metric(session, metric, settings=settings, by=by), by)
    expected = REFERENCES[metric](surveys, by)
    assert set(rows) == set(expected)
    for key, est in expected.items():
        row = rows[key]
        assert row["n"] == est.n
        assert row["value"] == pytest.approx(est.value, abs=1e-9)
        assert row["ci_low"] == pytest.approx(est.ci_low, abs=1e-9)
        assert row["ci_high"] == pytest.approx(est.ci_high, abs=1e-9)
        assert row["small_sample"] == (est.n < 30)


def test_since_until_are_inclusive_local_dates_of_the_brand(
    session: Session, settings: Settings, surveys: pd.DataFrame
) -> None:
    flt = Slice(brand="west", since=date(2026, 3, 1), until=date(2026, 3, 8))
    rows = compute_metric(session, "nps", settings=settings, by=["day"], flt=flt)
    local = surveys[
        (surveys["brand"] == "west")
        & (surveys["local_date"] >= date(2026, 3, 1))
        & (surveys["local_date"] <= date(2026, 3, 8))
    ]
    expected = reference.nps(local, ["day"])
    assert {r["group"]["day"]: r["n"] for r in rows} == {k[0]: e.n for k, e in expected.items()}  # type: ignore[index]
    assert sum(e.n for e in expected.values()) > 0


def test_channel_filter(session: Session, settings: Settings, surveys: pd.DataFrame) -> None:
    rows = compute_metric(session, "csat", settings=settings, flt=Slice(channel="sms"))
    expected = reference.csat(surveys[surveys["channel"] == "sms"], [])
    assert rows[0]["n"] == expected[()].n
    assert rows[0]["value"] == pytest.approx(expected[()].value)


@pytest.mark.parametrize("by", [["brand"], ["brand", "month"], ["segment"]])
def test_csi_equals_pandas(
    session: Session, settings: Settings, surveys: pd.DataFrame, by: list[str]
) -> None:
    rows = _by_group(compute_metric(session, "csi", settings=settings, by=by), by)
    items = {
        "tp_product_quality": (0.35, 0.0, 10.0),
        "tp_hotline_wait": (0.25, 0.0, 10.0),
        "tp_loyalty_program": (0.20, 0.0, 10.0),
        "tp_price_transparency": (0.15, 0.0, 10.0),
    }
    expected = reference.csi(surveys, by, items)
    assert set(rows) == set(expected)
    for key, (customers, value) in expected.items():
        row = rows[key]
        assert row["n"] == customers
        assert row["value"] == pytest.approx(value, abs=1e-9)
        assert row["ci_low"] <= row["value"] <= row["ci_high"]  # type: ignore[operator]
        assert any("renormalised" in w for w in row["warnings"])  # type: ignore[attr-defined]


def test_period_labels_and_bounds() -> None:
    day = date(2026, 3, 5)
    assert [period_label(day, p) for p in ("day", "week", "month", "quarter")] == [
        "2026-03-05",
        "2026-W10",
        "2026-03",
        "2026Q1",
    ]
    assert period_label(date(2027, 1, 1), "week") == "2026-W53"
    assert period_bounds("2026-W10") == (date(2026, 3, 2), date(2026, 3, 9))
    assert period_bounds("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


def test_unknown_dimension_metric_and_brand_are_refused(
    session: Session, settings: Settings
) -> None:
    with pytest.raises(InvalidInputError, match="unknown --by dimension 'colour'"):
        parse_by("brand,colour")
    with pytest.raises(InvalidInputError, match="unknown metric"):
        compute_metric(session, "happiness", settings=settings)
    with pytest.raises(NotFoundError):
        compute_metric(session, "nps", settings=settings, flt=Slice(brand="nobody"))


def test_no_data_gives_no_rows(session: Session, settings: Settings) -> None:
    assert compute_metric(session, "nps", settings=settings) == []
    assert compute_metric(session, "csi", settings=settings, by=["brand"]) == []


@pytest.mark.parametrize("metric", ["nps", "csat", "trust_index"])
def test_a_segment_filter_equals_that_segment_of_a_segment_grouping(
    session: Session, settings: Settings, surveys: pd.DataFrame, metric: str
) -> None:
    grouped = compute_metric(session, metric, settings=settings, by=["segment", "month"])
    filtered = compute_metric(
        session, metric, settings=settings, by=["month"], flt=Slice(where={"segment": ["family"]})
    )
    family = [r for r in grouped if r["group"]["segment"] == "family"]  # type: ignore[index]
    assert len(filtered) == len(family) > 1
    for f, g in zip(filtered, family, strict=True):
        assert f["group"] == {"month": g["group"]["month"]}  # type: ignore[index]
        assert f["n"] == g["n"]
        for key in ("value", "ci_low", "ci_high"):
            assert f[key] == pytest.approx(g[key], abs=1e-9), key

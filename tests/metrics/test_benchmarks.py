"""External benchmarks: idempotent import with precise rejects, gaps with intervals in output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.metrics.conftest import metrics_cli
from trustpulse.config import Settings
from trustpulse.metrics.benchmarks import gap_interval, import_benchmarks, list_benchmarks
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.query import Slice
from trustpulse.runtime import Runtime

CSV = """metric,period,brand,channel,value,n,ci_low,ci_high,source
nps,2026-03,acme,,20,400,10,30,industry
nps,2026-03,,,15,,,,competitor
nps,2026-13,,,15,,,,industry
csat,2026Q1,,,high,,,,industry
csat,2026Q1,,,80,,85,90,industry
csat,2026Q1,,,80,0,,,industry
nps,2026-03,acme,,20,400,10,30,industry
"""


def test_import_rejects_with_row_field_reason_and_reimport_adds_nothing(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "bench.csv"
    path.write_text(CSV, encoding="utf-8")
    first = import_benchmarks(session, path)
    assert {k: first[k] for k in ("read", "imported", "updated", "rejected", "duplicates")} == {
        "read": 7, "imported": 2, "updated": 0, "rejected": 4, "duplicates": 1,
    }  # fmt: skip
    assert [(r["row"], r["field"]) for r in first["rejects"]] == [  # type: ignore[attr-defined]
        (3, "period"), (4, "value"), (5, "ci_low"), (6, "n"),
    ]  # fmt: skip
    again = import_benchmarks(session, path)
    assert (again["imported"], again["updated"], again["duplicates"]) == (0, 0, 3)
    path.write_text(CSV.replace(",15,,,,competitor", ",17,,,,competitor"), encoding="utf-8")
    changed = import_benchmarks(session, path)
    assert (changed["imported"], changed["updated"]) == (0, 1)
    assert [b["value"] for b in list_benchmarks(session, metric="nps")] == [17.0, 20.0]


def test_xlsx_import(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bench.xlsx"
    pd.DataFrame(
        [{"metric": "csat", "period": "2026Q1", "value": 81.5, "source": "industry"}]
    ).to_excel(path, index=False)
    result = import_benchmarks(session, path)
    assert (result["read"], result["imported"]) == (1, 1)


def test_gap_interval_combines_both_intervals() -> None:
    gap, low, high = gap_interval((50.0, 40.0, 58.0), (20.0, 14.0, 30.0))
    assert (gap, high) == (30.0, 40.0)  # 30 + sqrt(8^2 + 6^2)
    assert low == pytest.approx(30 - math.sqrt(200))
    assert gap_interval((50.0, 40.0, 58.0), (20.0, None, None)) == (30.0, 20.0, 38.0)


def test_metric_rows_carry_the_most_specific_benchmark_and_keep_the_contract(
    session: Session, settings: Settings, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "bench.csv"
    path.write_text(CSV, encoding="utf-8")
    import_benchmarks(session, path)
    rows = compute_metric(session, "nps", settings=settings, by=["month"], flt=Slice(brand="acme"))
    march = next(r for r in rows if r["group"] == {"month": "2026-03"})
    assert (march["benchmark"], march["benchmark_source"]) == (20.0, "industry")  # brand-specific
    value, low, high = (float(march[k]) for k in ("value", "ci_low", "ci_high"))  # type: ignore[arg-type]
    assert march["benchmark_gap"] == pytest.approx(value - 20)
    assert march["benchmark_gap_ci_low"] == pytest.approx(value - 20 - math.hypot(value - low, 10))
    assert march["benchmark_gap_ci_high"] == pytest.approx(
        value - 20 + math.hypot(high - value, 10)
    )
    february = next(r for r in rows if r["group"] == {"month": "2026-02"})
    assert "benchmark" not in february
    assert {"group", "n", "value", "ci_low", "ci_high"} <= set(february)


def test_cli_imports_and_lists(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    path.write_text(CSV, encoding="utf-8")
    with metrics_cli(runtime, n=10) as (root, env):
        imported = CliRunner().invoke(
            root, ["metrics", "benchmarks", "import", str(path), "--json"], env=env
        )
        listed = CliRunner().invoke(root, ["metrics", "benchmarks", "list", "--json"], env=env)
        wrong = CliRunner().invoke(root, ["metrics", "benchmarks", "import"], env=env)
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)[0]["imported"] == 2
    assert len(json.loads(listed.stdout)) == 2
    assert wrong.exit_code == 2

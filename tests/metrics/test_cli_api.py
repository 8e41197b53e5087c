"""The interfaces scripts rely on: `trustpulse metrics ... --json`, CSV, drivers, GET /metrics."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.metrics.conftest import insert_surveys, metrics_cli
from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.db import get_session
from trustpulse.metrics.api import router as metrics_router
from trustpulse.runtime import Runtime


@pytest.fixture
def cli(runtime: Runtime) -> Iterator[tuple[typer.Typer, dict[str, str]]]:
    with metrics_cli(runtime, n=200) as built:
        yield built


def test_metrics_json_contract(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    for metric in ("nps", "csat", "ces", "csi", "trust_index"):
        result = CliRunner().invoke(
            root,
            ["metrics", metric, "--by", "brand,month", "--brand", "acme", "--json"],
            env=env,
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert rows, metric
        for row in rows:
            assert set(row["group"]) == {"brand", "month"}
            assert {"n", "value", "ci_low", "ci_high", "small_sample"} <= set(row)


def test_trust_index_command_prints_the_scripts_json_contract(
    cli: tuple[typer.Typer, dict[str, str]],
) -> None:
    root, env = cli
    args = ["--by", "brand,quarter", "--since", "2026-03-01", "--until", "2026-03-31", "--json"]
    result = CliRunner().invoke(root, ["trust-index", *args], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {tuple(r["group"].items()) for r in rows} == {
        (("brand", "acme"), ("quarter", "2026Q1")),
        (("brand", "west"), ("quarter", "2026Q1")),
    }
    for row in rows:
        assert {"group", "n", "value", "ci_low", "ci_high", "small_sample"} <= set(row)
        assert row["metric"] == "trust_index"
        assert row["ci_low"] <= row["value"] <= row["ci_high"]
    same = CliRunner().invoke(root, ["metrics", "trust_index", *args], env=env)
    assert json.loads(same.stdout) == rows
    table = CliRunner().invoke(root, ["trust-index", "--by", "brand"], env=env)
    assert table.exit_code == 0, table.output
    assert "95 % CI" in table.stdout


def test_metrics_since_until_channel_and_csv(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    args = ["metrics", "nps", "--by", "week", "--channel", "sms"]
    args += ["--since", "2026-03-01", "--until", "2026-03-31", "--format", "csv"]
    result = CliRunner().invoke(root, args, env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert list(rows[0])[:6] == ["week", "n", "value", "ci_low", "ci_high", "small_sample"]
    assert all(r["week"].startswith("2026-W") for r in rows)


def test_metrics_table_and_bad_input(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    result = CliRunner().invoke(root, ["metrics", "csat", "--by", "tier"], env=env)
    assert result.exit_code == 0, result.output
    assert "95 % CI" in result.stdout
    bad = CliRunner().invoke(root, ["metrics", "nps", "--since", "March"], env=env)
    assert bad.exit_code == 2


def test_drivers_json(cli: tuple[typer.Typer, dict[str, str]]) -> None:
    root, env = cli
    result = CliRunner().invoke(root, ["drivers", "--resamples", "20", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r["importance"] for r in rows) == pytest.approx(1.0)


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    insert_surveys(session, n=150)
    app = create_app(settings, engine=session.get_bind().engine)
    app.include_router(metrics_router, prefix="/api")  # the lead mounts it in trustpulse.api
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as test_client:
        yield test_client


def test_api_returns_the_cli_rows(client: TestClient) -> None:
    response = client.get("/api/metrics/nps", params={"by": "brand,quarter"})
    assert response.status_code == 200
    rows = response.json()
    assert {tuple(r["group"]) for r in rows} == {("brand", "quarter")}
    assert client.get("/api/metrics/nps", params={"by": "colour"}).status_code == 422
    assert client.get("/api/metrics/nps", params={"brand": "nobody"}).status_code == 404
    effect = client.get("/api/metrics/response-time", params={"by": "brand"})
    assert effect.status_code == 200
    assert effect.json() == []  # survey data only: no complaint has a follow-up answer
    drivers = client.get("/api/metrics/drivers/nps", params={"brand": "acme"})
    assert drivers.status_code == 200

"""`trustpulse transparency publish|list` and GET /api/transparency/snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.factories import make_brand
from tests.transparency.conftest import add_complaint
from trustpulse.app import create_app
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.runtime import Runtime
from trustpulse.transparency.cli import app
from trustpulse.transparency.service import SnapshotPublishedError


def test_cli_publishes_refuses_corrects_and_lists(runtime: Runtime) -> None:
    with session_scope(runtime.session_factory) as session:
        brand = make_brand(session, code="acme")
        add_complaint(session, brand, 1, datetime(2026, 8, 3, 2, tzinfo=UTC))
    env = {
        "TRUSTPULSE_HOME": str(runtime.settings.home),
        "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
    }
    get_settings.cache_clear()
    runner = CliRunner()
    publish = ["publish", "--brand", "acme", "--quarter", "2026Q3", "--json"]
    with use_clock(ManualClock(datetime(2026, 10, 2, tzinfo=ZoneInfo("Asia/Shanghai")))):
        first = runner.invoke(app, publish, env=env)
        again = runner.invoke(app, publish, env=env)
        fixed = runner.invoke(app, [*publish, "--correct", "--reason", "late import"], env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)[0]["version"] == 1
    assert again.exit_code == 1
    assert isinstance(again.exception, SnapshotPublishedError)
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)[0]["reason"] == "late import"
    listed = json.loads(runner.invoke(app, ["list", "--json"], env=env).stdout)
    assert [(r["quarter"], r["version"], r["reason"]) for r in listed] == [
        ("2026Q3", 1, None),
        ("2026Q3", 2, "late import"),
    ]
    assert listed[0]["figures"]["figures"][0]["value"] == 1

    with TestClient(create_app(runtime.settings, engine=runtime.engine)) as client:
        answer = client.get("/api/transparency/snapshots?brand=acme&quarter=2026Q3")
        assert answer.status_code == 200
        assert [r["version"] for r in answer.json()] == [1, 2]
        assert answer.json()[1]["published_at"].startswith("2026-10-01T16:00:00")
        assert client.get("/api/transparency/snapshots?brand=nobody").status_code == 404
        assert client.get("/api/transparency/snapshots?quarter=Q3").status_code == 422
    get_settings.cache_clear()

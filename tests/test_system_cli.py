"""`trustpulse stats --json` and `migrate`: the contract scripts rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from tests.factories import make_brand, make_customer
from trustpulse.cli import _mount, app
from trustpulse.config import Settings, get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.runtime import Runtime


@pytest.fixture
def cli_env(runtime: Runtime) -> Iterator[dict[str, str]]:
    settings: Settings = runtime.settings
    _mount()
    get_settings.cache_clear()
    yield {
        "TRUSTPULSE_HOME": str(settings.home),
        "TRUSTPULSE_DATABASE_URL": settings.effective_database_url,
    }
    get_settings.cache_clear()


def test_stats_json_counts_rows_per_entity(runtime: Runtime, cli_env: dict[str, str]) -> None:
    with session_scope(runtime.session_factory) as session:
        customer = make_customer(session, brand="acme", external_id="C9")
        make_brand(session, code="other")
        for i, kind in enumerate([FeedbackKind.survey, FeedbackKind.review, FeedbackKind.review]):
            session.add(
                Feedback(
                    brand_id=customer.brand_id,
                    customer_id=customer.id,
                    kind=kind,
                    channel="app",
                    occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
                    source="t",
                    external_id=str(i),
                    content_hash="h",
                    raw={},
                )
            )
    result = CliRunner().invoke(app, ["stats", "--json"], env=cli_env)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert counts == {
        "brands": 2,
        "customers": 1,
        "feedback": {"survey": 1, "review": 2, "social": 0, "complaint": 0},
        "complaints": 0,
        "kpis": 0,
    }


def test_migrate_is_idempotent(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"], env=cli_env).exit_code == 0
    assert runner.invoke(app, ["migrate"], env=cli_env).exit_code == 0

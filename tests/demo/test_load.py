"""Loading the demo into the database (SQLite and PostgreSQL), and the `trustpulse demo` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintSlaTarget
from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Customer, Order
from trustpulse.demo import cli as demo_cli
from trustpulse.demo.generate import generate
from trustpulse.demo.model import DemoConfig
from trustpulse.demo.service import build_demo
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.models import KpiMeasure
from trustpulse.runtime import Runtime

TINY = 0.02


def _count(engine: Engine, model: type[object]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_build_loads_every_table_and_writes_the_truth(runtime: Runtime, tmp_path: Path) -> None:
    config = DemoConfig(seed=3, scale=TINY)
    result = build_demo(
        runtime.engine, truth_dir=tmp_path, config=config, settings=runtime.settings
    )
    expected = generate(config).counts()
    assert not result.skipped
    for model, table in (
        (Customer, "customers"),
        (Order, "orders"),
        (Feedback, "feedback"),
        (Score, "scores"),
        (Complaint, "complaints"),
        (ComplaintEvent, "complaint_events"),
        (KpiMeasure, "kpi_measures"),
    ):
        assert _count(runtime.engine, model) == expected[table], table
    clocks = _count(runtime.engine, ComplaintSlaTarget)  # SLA attainment has clocks to count
    assert clocks > 0
    assert clocks == result.counts["complaint_sla_targets"]
    truth = json.loads((tmp_path / "demo_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3
    assert set(truth["nps_model"]["drivers"]) == {
        "tp_product_quality",
        "tp_agent_competence",
        "tp_price_transparency",
    }
    assert (tmp_path / truth["files"]["texts"]).stat().st_size > 0


def test_same_seed_is_skipped_and_other_seed_replaces_only_demo_data(
    runtime: Runtime, tmp_path: Path
) -> None:
    with Session(runtime.engine) as session:
        other = Brand(code="acme", name="Acme", timezone="Asia/Shanghai")
        session.add(other)
        session.flush()
        session.add(Customer(brand_id=other.id, external_id="C1", tier="regular"))
        session.commit()
    first = build_demo(
        runtime.engine, truth_dir=tmp_path, config=DemoConfig(1, TINY), settings=runtime.settings
    )
    again = build_demo(
        runtime.engine, truth_dir=tmp_path, config=DemoConfig(1, TINY), settings=runtime.settings
    )
    replaced = build_demo(
        runtime.engine, truth_dir=tmp_path, config=DemoConfig(2, TINY), settings=runtime.settings
    )
    assert not first.skipped
    assert again.skipped
    assert not replaced.skipped
    assert _count(runtime.engine, Feedback) == generate(DemoConfig(2, TINY)).counts()["feedback"]
    assert _count(runtime.engine, ComplaintSlaTarget) == replaced.counts["complaint_sla_targets"]
    with Session(runtime.engine) as session:
        assert session.scalar(select(Customer).where(Customer.external_id == "C1")) is not None
        # ids after the loaded rows are still free (PostgreSQL sequences moved past them)
        session.add(Brand(code="later", name="Later", timezone="Asia/Shanghai"))
        session.commit()


def test_loaded_feedback_is_utc_and_keyed_by_brand(runtime: Runtime, tmp_path: Path) -> None:
    build_demo(
        runtime.engine, truth_dir=tmp_path, config=DemoConfig(5, TINY), settings=runtime.settings
    )
    with Session(runtime.engine) as session:
        row = session.scalars(select(Feedback).order_by(Feedback.id).limit(1)).one()
        assert row.occurred_at.utcoffset() is not None
        assert row.external_id == "fb-aurora-000001"
        assert row.source == "demo"
        assert row.customer_id is not None


def test_demo_command_builds_without_serving(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command reads process settings; point it at the test database
    monkeypatch.setattr(demo_cli, "get_settings", lambda: settings)
    app = typer.Typer()
    demo_cli.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `demo` a named subcommand
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--seed", "9", "--scale", str(TINY)])
    assert result.exit_code == 0, result.output
    assert "generated in" in result.output
    assert (settings.home / "demo_truth.json").exists()
    again = CliRunner().invoke(app, ["demo", "--no-serve", "--seed", "9", "--scale", str(TINY)])
    assert "skipped regeneration" in again.output
